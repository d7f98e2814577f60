package io.mesh4j.grpc.testing;

import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * A test service described without protobuf: {@code test.Echo} with a unary and a
 * server-streaming method whose messages are UTF-8 strings. Real grpc-java method descriptors,
 * so calls go through the whole client and server machinery.
 */
public final class EchoService {

  /** The fully qualified service name. */
  public static final String SERVICE = "test.Echo";

  /** Plain text on the wire; keeps tests free of generated code. */
  public static final MethodDescriptor.Marshaller<String> UTF8 =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
          return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
          try {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  /**
   * Answers with the name of the backend that served the call. Marked idempotent, as a read is,
   * so the mesh may replay it.
   */
  public static final MethodDescriptor<String, String> UNARY =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setIdempotent(true)
          .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Unary"))
          .setRequestMarshaller(UTF8)
          .setResponseMarshaller(UTF8)
          .build();

  /** A second unary method, for routes that match on the method name. */
  public static final MethodDescriptor<String, String> OTHER =
      UNARY.toBuilder()
          .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Other"))
          .build();

  /** Streams the backend's name a number of times (the request is the count). */
  public static final MethodDescriptor<String, String> STREAM =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
          .setIdempotent(true)
          .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Stream"))
          .setRequestMarshaller(UTF8)
          .setResponseMarshaller(UTF8)
          .build();

  /** Joins the messages the client streams, with commas, after the backend's name. */
  public static final MethodDescriptor<String, String> COLLECT =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.CLIENT_STREAMING)
          .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Collect"))
          .setRequestMarshaller(UTF8)
          .setResponseMarshaller(UTF8)
          .build();

  private EchoService() {}
}
