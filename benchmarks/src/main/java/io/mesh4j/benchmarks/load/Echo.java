package io.mesh4j.benchmarks.load;

import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * The one call every gRPC row makes: {@code bench.Loopback/Echo}, bytes in, the same bytes out,
 * with a byte-array marshaller so that no row measures protobuf.
 */
public final class Echo {

  /** The gRPC service name; also the HAProxy and xDS routes' only service. */
  public static final String SERVICE = "bench.Loopback";

  /**
   * {@code bench.Loopback/Echo}. Marked safe and idempotent, as protoc marks a {@code
   * NO_SIDE_EFFECTS} method, so retry policies (the mesh's and xDS's) apply to it.
   */
  public static final MethodDescriptor<byte[], byte[]> METHOD =
      MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setSafe(true)
          .setIdempotent(true)
          .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Echo"))
          .setRequestMarshaller(BytesMarshaller.INSTANCE)
          .setResponseMarshaller(BytesMarshaller.INSTANCE)
          .build();

  private Echo() {}

  /** The echo service: answers each request with its own bytes, on the transport thread. */
  public static ServerServiceDefinition service() {
    return ServerServiceDefinition.builder(SERVICE)
        .addMethod(METHOD, ServerCalls.asyncUnaryCall(Echo::echo))
        .build();
  }

  private static void echo(byte[] request, StreamObserver<byte[]> response) {
    response.onNext(request);
    response.onCompleted();
  }

  /**
   * Byte arrays as they are. Like grpc-java's protobuf marshaller, it tells gRPC the message's
   * length and writes it out in one piece, so the transport does not copy it through stream
   * buffers: without that, buffer copies would be most of a 100-byte call's cost and hide what the
   * rows differ in.
   */
  public enum BytesMarshaller implements MethodDescriptor.Marshaller<byte[]> {
    /** The only instance. */
    INSTANCE;

    @Override
    public InputStream stream(byte[] value) {
      return new BytesStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        if (stream instanceof KnownLength) {
          byte[] bytes = new byte[stream.available()];
          if (stream.readNBytes(bytes, 0, bytes.length) == bytes.length && stream.read() == -1) {
            return bytes;
          }
          throw new IOException("message shorter or longer than its known length");
        }
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** A message's bytes with their length known and drainable in one write. */
  private static final class BytesStream extends ByteArrayInputStream
      implements KnownLength, Drainable {

    BytesStream(byte[] bytes) {
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
