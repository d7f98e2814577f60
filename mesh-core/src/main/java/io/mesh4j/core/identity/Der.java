package io.mesh4j.core.identity;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * The few DER encodings a PKCS#10 request and a SEC1-to-PKCS#8 conversion need, so that mesh-core
 * reads and writes its key material with the JDK alone rather than a cryptography library.
 */
final class Der {

  static final int INTEGER = 0x02;
  static final int BIT_STRING = 0x03;
  static final int OCTET_STRING = 0x04;
  static final int OID = 0x06;
  static final int SEQUENCE = 0x30;
  static final int SET = 0x31;

  private Der() {}

  /** One tag-length-value element whose contents are {@code parts}, concatenated. */
  static byte[] tlv(int tag, byte[]... parts) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      body.writeBytes(p);
    }
    byte[] content = body.toByteArray();
    ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
    out.write(tag);
    int n = content.length;
    if (n < 0x80) {
      out.write(n);
    } else {
      int bytes = (32 - Integer.numberOfLeadingZeros(n) + 7) / 8;
      out.write(0x80 | bytes);
      for (int i = bytes - 1; i >= 0; i--) {
        out.write(n >>> (8 * i));
      }
    }
    out.writeBytes(content);
    return out.toByteArray();
  }

  /** An OBJECT IDENTIFIER in dotted form. */
  static byte[] oid(String dotted) {
    String[] arcs = dotted.split("\\.", -1);
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    writeBase128(body, Long.parseLong(arcs[0]) * 40 + Long.parseLong(arcs[1]));
    for (int i = 2; i < arcs.length; i++) {
      writeBase128(body, Long.parseLong(arcs[i]));
    }
    return tlv(OID, body.toByteArray());
  }

  private static void writeBase128(ByteArrayOutputStream out, long value) {
    int groups = Math.max(1, (64 - Long.numberOfLeadingZeros(value) + 6) / 7);
    for (int i = groups - 1; i >= 0; i--) {
      int b = (int) ((value >>> (7 * i)) & 0x7f);
      out.write(i == 0 ? b : b | 0x80);
    }
  }

  /**
   * The elements directly inside the constructed element at the start of {@code der}, each as its
   * complete encoding.
   *
   * @throws IllegalArgumentException when the encoding is truncated or not definite-length DER
   */
  static byte[][] children(byte[] der) {
    int[] outer = header(der, 0);
    int end = outer[0] + outer[1];
    if (end > der.length) {
      throw new IllegalArgumentException("truncated DER");
    }
    byte[][] out = new byte[0][];
    for (int at = outer[0]; at < end; ) {
      int[] h = header(der, at);
      int next = h[0] + h[1];
      if (next > end) {
        throw new IllegalArgumentException("truncated DER");
      }
      out = Arrays.copyOf(out, out.length + 1);
      out[out.length - 1] = Arrays.copyOfRange(der, at, next);
      at = next;
    }
    return out;
  }

  /** The contents of the element that starts {@code der}, without its tag and length. */
  static byte[] contents(byte[] der) {
    int[] h = header(der, 0);
    if (h[0] + h[1] > der.length) {
      throw new IllegalArgumentException("truncated DER");
    }
    return Arrays.copyOfRange(der, h[0], h[0] + h[1]);
  }

  /** Where the contents of the element at {@code at} start, and how long they are. */
  private static int[] header(byte[] der, int at) {
    if (at + 2 > der.length) {
      throw new IllegalArgumentException("truncated DER");
    }
    int first = der[at + 1] & 0xff;
    if (first < 0x80) {
      return new int[] {at + 2, first};
    }
    int bytes = first & 0x7f;
    if (bytes == 0 || bytes > 3 || at + 2 + bytes > der.length) {
      throw new IllegalArgumentException("unsupported DER length");
    }
    int n = 0;
    for (int i = 0; i < bytes; i++) {
      n = (n << 8) | (der[at + 2 + i] & 0xff);
    }
    return new int[] {at + 2 + bytes, n};
  }
}
