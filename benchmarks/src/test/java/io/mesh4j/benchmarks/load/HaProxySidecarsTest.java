package io.mesh4j.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class HaProxySidecarsTest {

  private static final Path CERTS = Path.of("/certs");

  @Test
  void clearTextPathSpeaksHttp2OnEveryHop() {
    String client = HaProxySidecars.clientSideConfig(7001, 7002, false, CERTS);
    String server = HaProxySidecars.serverSideConfig(7002, 9000, false, CERTS);
    assertThat(client).contains("mode http", "nbthread 1", "bind 127.0.0.1:7001 proto h2",
        "server next 127.0.0.1:7002 proto h2").doesNotContain("ssl");
    assertThat(server).contains("bind 127.0.0.1:7002 proto h2",
        "server app 127.0.0.1:9000 proto h2").doesNotContain("ssl");
  }

  @Test
  void tlsBetweenTheProxiesIsVerifiedAgainstTheBenchmarkCa() {
    String client = HaProxySidecars.clientSideConfig(7001, 7002, true, CERTS);
    String server = HaProxySidecars.serverSideConfig(7002, 9000, true, CERTS);
    assertThat(client).contains("bind 127.0.0.1:7001 proto h2",
        "server next 127.0.0.1:7002 ssl verify required ca-file /certs/ca.pem verifyhost localhost"
            + " sni str(localhost) alpn h2");
    assertThat(server).contains("bind 127.0.0.1:7002 ssl crt /certs/server-bundle.pem alpn h2",
        "server app 127.0.0.1:9000 proto h2");
  }
}
