'use strict';
// A gRPC client on gRPC's own proxyless xDS support (@grpc/grpc-js-xds), written by nobody at
// mesh4j beyond this driver: the interop tests point it at the controller's xDS server through a
// standard bootstrap file (GRPC_XDS_BOOTSTRAP) and read what each call got.
//
//   node client.js --target xds:///catalog.shop --method /pkg.Service/Method [--calls N]
//                  [--request-hex HEX | --request-prefix TEXT] [--deadline-ms MS] [--xds-credentials]
//
// Calls one at a time, N times, or else once per line read on stdin (the line, when not empty, is
// the method to call instead) until stdin closes, and prints one line per call:
// "ok <response bytes in hex>" or "err <status code> <details>". Requests and responses are raw
// bytes, so no .proto is needed; with --request-prefix, call n (0, 1, ...) sends TEXT followed by n.
// With --xds-credentials the channel uses XdsChannelCredentials (gRFC A29): mutual TLS, from the
// bootstrap's certificate providers, to the endpoints of clusters that ask for it; plaintext to
// the others.
const grpc = require('@grpc/grpc-js');
const xds = require('@grpc/grpc-js-xds');
xds.register();

function option(name, fallback) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const target = option('target');
const method = option('method');
if (!target || !method) {
  console.error('usage: node client.js --target xds:///NAME --method /pkg.Service/Method [--calls N]');
  process.exit(2);
}
const calls = Number(option('calls', '-1'));
const request = Buffer.from(option('request-hex', ''), 'hex');
const prefix = option('request-prefix');
const deadlineMs = Number(option('deadline-ms', '5000'));
const identity = (b) => b;

const credentials = process.argv.includes('--xds-credentials')
  ? new xds.XdsChannelCredentials(grpc.credentials.createInsecure())
  : grpc.credentials.createInsecure();
const client = new grpc.Client(target, credentials);

function once(n, path) {
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, identity, identity, prefix === undefined ? request : Buffer.from(prefix + n),
      { deadline: Date.now() + deadlineMs },
      (err, response) => {
        if (err) {
          resolve('err ' + err.code + ' ' + String(err.details).replace(/\s+/g, ' '));
        } else {
          resolve('ok ' + response.toString('hex'));
        }
      });
  });
}

function done() {
  client.close();
  process.exit(0);
}

let n = 0;
if (calls >= 0) {
  (async () => {
    while (n < calls) {
      process.stdout.write(await once(n++, method) + '\n');
    }
    done();
  })();
} else {
  let previous = Promise.resolve();
  const lines = require('readline').createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    previous = previous.then(async () => process.stdout.write(await once(n++, line.trim() || method) + '\n'));
  });
  lines.on('close', () => previous.then(done));
}
