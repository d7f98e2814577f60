package io.mesh4j.controller.serve;

import static org.assertj.core.api.Assertions.assertThat;

import io.mesh4j.wire.v1.Current;
import io.mesh4j.wire.v1.PolicyServiceGrpc;
import io.mesh4j.wire.v1.Resource;
import io.mesh4j.wire.v1.ServerMessage;
import io.mesh4j.wire.v1.Snapshot;
import io.mesh4j.wire.v1.Version;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class EncodeOnceMarshallerTest {

  private final EncodeOnceMarshaller marshaller =
      new EncodeOnceMarshaller(PolicyServiceGrpc.getSubscribeMethod().getResponseMarshaller());

  private static ServerMessage snapshot(long number) {
    return ServerMessage.newBuilder()
        .setSnapshot(
            Snapshot.newBuilder()
                .setVersion(Version.newBuilder().setNumber(number).setHash("ab"))
                .addResources(Resource.newBuilder().setRef("MeshConfig a/b").setYaml("kind: MeshConfig\n")))
        .build();
  }

  private static byte[] drained(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(((io.grpc.Drainable) in).drainTo(out)).isEqualTo(out.size());
    return out.toByteArray();
  }

  @Test
  void writesEachSendOfAMessageAsProtobufWould() throws IOException {
    ServerMessage first = snapshot(1);
    ServerMessage second = ServerMessage.newBuilder().setCurrent(Current.newBuilder().setVersion(first.getSnapshot().getVersion())).build();

    for (ServerMessage m : new ServerMessage[] {first, first, second, first}) {
      InputStream in = marshaller.stream(m);
      assertThat(in.available()).isEqualTo(m.getSerializedSize());
      assertThat(drained(in)).isEqualTo(m.toByteArray());
    }
  }

  @Test
  void aStreamCanBeReadLikeAnyOther() throws IOException {
    ServerMessage m = snapshot(7);
    marshaller.stream(m).close();

    try (InputStream in = marshaller.stream(m)) {
      assertThat(in.readAllBytes()).isEqualTo(m.toByteArray());
    }
    assertThat(marshaller.parse(marshaller.stream(m))).isEqualTo(m);
  }
}
