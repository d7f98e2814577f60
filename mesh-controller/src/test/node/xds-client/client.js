'use strict';
// A gRPC client on gRPC's own proxyless xDS support (@grpc/grpc-js-xds), written by nobody at
// mesh4j beyond this driver: the interop tests point it at the controller's xDS server through a
// standard bootstrap file (GRPC_XDS_BOOTSTRAP) and read what each call got.
//
//   node client.js --target xds:///catalog.shop --method /pkg.Service/Method [--calls N]
//                  [--request-hex HEX] [--deadline-ms MS] [--xds-credentials]
//
// Calls one at a time, N times (default: until stdin closes), and prints one line per call:
// "ok <response bytes in hex>" or "err <status code> <details>". Requests and responses are raw
// bytes, so no .proto is needed. With --xds-credentials the channel uses XdsChannelCredentials
// (gRFC A29): mutual TLS, from the bootstrap's certificate providers, to the endpoints of
// clusters that ask for it; plaintext to the others.
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
const deadlineMs = Number(option('deadline-ms', '5000'));
const identity = (b) => b;

let stdinOpen = calls < 0;
if (stdinOpen) {
  process.stdin.on('end', () => { stdinOpen = false; });
  process.stdin.on('close', () => { stdinOpen = false; });
  process.stdin.resume();
}

const credentials = process.argv.includes('--xds-credentials')
  ? new xds.XdsChannelCredentials(grpc.credentials.createInsecure())
  : grpc.credentials.createInsecure();
const client = new grpc.Client(target, credentials);

function once() {
  return new Promise((resolve) => {
    client.makeUnaryRequest(method, identity, identity, request,
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

(async () => {
  let n = 0;
  while (calls < 0 ? stdinOpen : n < calls) {
    process.stdout.write(await once() + '\n');
    n++;
  }
  client.close();
  process.exit(0);
})();
