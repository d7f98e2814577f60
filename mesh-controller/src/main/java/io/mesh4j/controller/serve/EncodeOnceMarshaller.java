package io.mesh4j.controller.serve;

import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.mesh4j.wire.v1.ServerMessage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.jspecify.annotations.Nullable;

/**
 * Writes a {@link ServerMessage} sent on many streams after encoding it once: the distributor
 * sends one message instance to every application of a scope, one stream after the other, so the
 * bytes of the message encoded last are kept and written again for as long as that same instance
 * is sent. Any other message is encoded as it comes. Holds one message's bytes at most.
 *
 * <p>Thread-safe: a message sent from two threads at once is at worst encoded twice.
 */
final class EncodeOnceMarshaller implements MethodDescriptor.Marshaller<ServerMessage> {

  private final MethodDescriptor.Marshaller<ServerMessage> protobuf;
  private volatile @Nullable Encoded last;

  private static final class Encoded {
    final ServerMessage message;
    final byte[] bytes;

    Encoded(ServerMessage message) {
      this.message = message;
      this.bytes = message.toByteArray();
    }
  }

  /** @param protobuf the method's own marshaller, which parses */
  EncodeOnceMarshaller(MethodDescriptor.Marshaller<ServerMessage> protobuf) {
    this.protobuf = protobuf;
  }

  @Override
  @SuppressWarnings("ReferenceEquality") // the same instance, not equal content: that is what is sent in a row
  public InputStream stream(ServerMessage value) {
    Encoded e = last;
    if (e == null || e.message != value) {
      e = new Encoded(value);
      last = e;
    }
    return new Bytes(e.bytes);
  }

  @Override
  public ServerMessage parse(InputStream stream) {
    return protobuf.parse(stream);
  }

  /** Shared bytes that gRPC's framer can size up front and copy in one write. */
  private static final class Bytes extends ByteArrayInputStream implements Drainable, KnownLength {
    Bytes(byte[] bytes) {
      super(bytes);
    }

    @Override
    public synchronized int drainTo(OutputStream target) throws IOException {
      int n = count - pos;
      target.write(buf, pos, n);
      pos = count;
      return n;
    }
  }
}
