package io.mesh4j.core.engine.balance;

import io.mesh4j.core.call.Endpoint;
import java.util.Arrays;

/**
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016): a lookup table of {@value #TABLE_SIZE}
 * (a prime) slots filled from each endpoint's own permutation, in turns proportional to weight.
 * Lookup is one array read. Ejected (or, on retries, tried) endpoints are skipped by probing the
 * following slots. Calls without the header fall back to least-request.
 */
public final class MaglevBalancer extends Balancer {

  static final int TABLE_SIZE = 65537;

  private final String header;
  private final int[] table;

  public MaglevBalancer(String lowerCaseHeader, Endpoint[] endpoints, int[] weights) {
    this.header = lowerCaseHeader;
    int m = TABLE_SIZE;
    int n = endpoints.length;
    int[] t = new int[n == 0 ? 0 : m];
    if (n > 0) {
      Arrays.fill(t, -1);
      long[] offset = new long[n];
      long[] skip = new long[n];
      long[] next = new long[n];
      for (int i = 0; i < n; i++) {
        String name = endpoints[i].authority();
        offset[i] = Math.floorMod(Hashing.hash(name), (long) m);
        skip[i] = Math.floorMod(Hashing.hash(name + "#skip"), (long) (m - 1)) + 1;
      }
      int filled = 0;
      outer:
      for (; ; ) {
        for (int i = 0; i < n; i++) {
          for (int w = 0; w < weights[i]; w++) {
            int c = (int) ((offset[i] + next[i] * skip[i]) % m);
            while (t[c] >= 0) {
              next[i]++;
              c = (int) ((offset[i] + next[i] * skip[i]) % m);
            }
            t[c] = i;
            next[i]++;
            if (++filled == m) {
              break outer;
            }
          }
        }
      }
    }
    this.table = t;
  }

  /** The header whose value is hashed, in lower case. */
  String header() {
    return header;
  }

  @Override
  int pick(Candidates set, PickContext ctx, long now, int limit, int mode) {
    String key = ctx.call().header(header);
    if (key == null || table.length == 0) {
      return LeastRequestBalancer.INSTANCE.pick(set, ctx, now, limit, mode);
    }
    int m = table.length;
    int slot = (int) Math.floorMod(Hashing.hash(key), (long) m);
    return firstEligibleOwner(table, slot, set, ctx, now, mode);
  }

  @Override
  boolean zoneRestrictable() {
    return false;
  }
}
