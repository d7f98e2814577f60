package io.mesh4j.core.engine.balance;

/** The 64-bit hash used by the consistent-hashing balancers. Stateless. */
final class Hashing {

  private Hashing() {}

  /** FNV-1a over the UTF-16 chars, finished with SplitMix64's mixer for good high bits. */
  static long hash(CharSequence s) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < s.length(); i++) {
      h ^= s.charAt(i);
      h *= 0x100000001b3L;
    }
    return mix(h);
  }

  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
