package io.mesh4j.core.engine.route;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A deterministic automaton for a common subset of RE2 syntax, matching the whole input. Immutable
 * and thread-safe; {@link #matches} allocates nothing and reads each char once.
 *
 * <p>RE2/J stays the reference: {@link #compile} returns null for anything outside the subset, for
 * any parse problem and whenever the automaton would grow past its bounds, and the caller then
 * falls back to RE2/J. So null is always a safe answer, and the subset is kept small on purpose.
 *
 * <p>Supported: literal chars, escaped ASCII punctuation, {@code \t \n \r \f \v \a}, {@code \d \D
 * \w \W \s \S} (ASCII, as in RE2), {@code .} (anything but {@code \n}), bracket classes with
 * ranges, negation and the escapes above, {@code ( )} and {@code (?: )}, {@code |}, the quantifiers
 * {@code * + ? {n} {n,} {n,m}} and their lazy forms (the same language for a full match), {@code ^}
 * as the very first char and {@code $} as the very last (both no-ops for a full match).
 *
 * <p>Surrogates: RE2/J steps through the input by code point, so {@code .} consumes a whole
 * surrogate pair and an unpaired surrogate counts as a code point of its own. The automaton does
 * the same: a pattern's literals are all BMP chars (a pattern holding a surrogate compiles to
 * null), so every set it uses either contains all supplementary code points ({@code .}, negated
 * classes, {@code \D \W \S}) or none. All of them therefore share one input symbol, read when a
 * high surrogate is followed by a low one; any other char, an unpaired surrogate included, is its
 * own symbol. Results agree with RE2/J for every input, so no fallback is needed at match time.
 */
final class RegexDfa {

  /** The one input symbol standing for every supplementary code point (a surrogate pair). */
  private static final int SUPPLEMENTARY = 0x10000;

  /** RegexLimits caps route expressions at 1024 chars; this bounds compile if called without. */
  private static final int MAX_LENGTH = 4096;

  private static final int MAX_NESTING = 100;
  private static final int MAX_REPEAT = 1000;
  private static final int MAX_NFA_NODES = 10_000;

  /** Emission visits per compile: {@code ((){1000}){1000}} creates no node but loops a million. */
  private static final int MAX_EMITS = 100_000;

  /** Node visits during subset construction, so hostile patterns stay within milliseconds. */
  private static final long MAX_WORK = 5_000_000;

  /** Transition table entries (states × classes): about a megabyte at most. */
  private static final int MAX_TABLE = 1 << 14;

  private static final int[] DIGIT = {'0', '9'};
  private static final int[] WORD = {'0', '9', 'A', 'Z', '_', '_', 'a', 'z'};
  private static final int[] SPACE = {'\t', '\n', '\f', '\r', ' ', ' '};
  private static final int[] NEWLINE = {'\n', '\n'};

  /** Class of each ASCII char: the common case skips the search below. */
  private final int[] asciiClass;

  /** Non-ASCII chars: starts of sorted char ranges (the first is 128) and the class of each. */
  private final char[] rangeStart;

  private final int[] rangeClass;
  private final int supplementaryClass;

  /**
   * Transitions, row by row; entries are row offsets (state × classes) so that the loop needs no
   * multiplication, and -1 when no match is possible any more (early exit). Accepting states are
   * numbered first, so a state accepts when its offset is below {@link #acceptEnd}.
   */
  private final int[] next;

  private final int start;
  private final int acceptEnd;
  private final int states;

  private RegexDfa(
      int[] asciiClass,
      char[] rangeStart,
      int[] rangeClass,
      int supplementaryClass,
      int[] next,
      int start,
      int acceptEnd,
      int states) {
    this.asciiClass = asciiClass;
    this.rangeStart = rangeStart;
    this.rangeClass = rangeClass;
    this.supplementaryClass = supplementaryClass;
    this.next = next;
    this.start = start;
    this.acceptEnd = acceptEnd;
    this.states = states;
  }

  /**
   * The automaton for a full match of {@code regex}, or null when the expression is outside the
   * supported subset or cannot be parsed, or when building it would pass a bound: {@code
   * maxStates} states (counted as subset construction finds them, so it stops as soon as the cap
   * is passed), {@value #MAX_NFA_NODES} NFA nodes once counted repetitions are expanded, a table
   * of {@value #MAX_TABLE} entries, or a fixed amount of construction work.
   */
  static @Nullable RegexDfa compile(String regex, int maxStates) {
    if (regex.length() > MAX_LENGTH || maxStates < 1) {
      return null;
    }
    try {
      Parser parser = new Parser(regex);
      Node root = parser.parse();
      Alphabet alphabet = new Alphabet(parser.sets);
      Nfa nfa = new Nfa();
      int match = nfa.add(Nfa.MATCH, -1, -1);
      int first = nfa.emit(root, match);
      return build(nfa, first, alphabet, maxStates);
    } catch (Unsupported e) {
      return null;
    }
  }

  /** Whether the whole of {@code input} matches. */
  boolean matches(CharSequence input) {
    int s = start;
    int n = input.length();
    int i = 0;
    while (s >= 0 && i < n) {
      char c = input.charAt(i++);
      int k;
      if (c < 128) {
        k = asciiClass[c];
      } else if (Character.isHighSurrogate(c)
          && i < n
          && Character.isLowSurrogate(input.charAt(i))) {
        k = supplementaryClass;
        i++;
      } else {
        k = classOf(c);
      }
      s = next[s + k];
    }
    return s >= 0 && s < acceptEnd;
  }

  /** The number of live states, for tests and diagnostics. */
  int stateCount() {
    return states;
  }

  private int classOf(char c) {
    int lo = 0;
    int hi = rangeStart.length - 1;
    while (lo < hi) { // the last range starting at or before c; rangeStart[0] = 128 <= c
      int mid = (lo + hi + 1) >>> 1;
      if (rangeStart[mid] <= c) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return rangeClass[lo];
  }

  /**
   * Subset construction over the NFA's char and match nodes (epsilon closures are folded in),
   * then states that cannot reach acceptance are dropped so that matching stops on them.
   */
  private static @Nullable RegexDfa build(Nfa nfa, int first, Alphabet a, int maxStates) {
    int classes = a.classes;
    Closure closure = new Closure(nfa);
    List<int[]> sets = new ArrayList<>();
    List<int[]> rows = new ArrayList<>();
    Map<String, Integer> index = new HashMap<>();
    int[] startSet = closure.of(new int[] {first}, 1);
    if (startSet.length == 0) {
      return deadAutomaton(a);
    }
    sets.add(startSet);
    index.put(key(startSet), 0);
    int[] moved = new int[nfa.size];
    long work = 0;
    for (int d = 0; d < sets.size(); d++) {
      int[] set = sets.get(d);
      int[] row = new int[classes];
      for (int k = 0; k < classes; k++) {
        int count = 0;
        for (int node : set) {
          int charSet = nfa.set[node];
          if (charSet >= 0 && a.setClasses[charSet].get(k)) {
            moved[count++] = nfa.out1[node];
          }
        }
        int[] target = closure.of(moved, count);
        work += set.length + closure.visited;
        if (work > MAX_WORK) {
          return null;
        }
        if (target.length == 0) {
          row[k] = -1;
          continue;
        }
        String key = key(target);
        Integer known = index.get(key);
        if (known == null) {
          if (sets.size() == maxStates || (long) (sets.size() + 1) * classes > MAX_TABLE) {
            return null;
          }
          known = sets.size();
          sets.add(target);
          index.put(key, known);
        }
        row[k] = known;
      }
      rows.add(row);
    }

    int n = sets.size();
    boolean[] accepting = new boolean[n];
    for (int d = 0; d < n; d++) {
      accepting[d] = Arrays.binarySearch(sets.get(d), nfa.match) >= 0;
    }
    boolean[] live = liveStates(rows, accepting);
    // accepting states first, then the other live ones; dead ones become -1
    int[] number = new int[n];
    Arrays.fill(number, -1);
    int count = 0;
    for (int pass = 0; pass < 2; pass++) {
      for (int d = 0; d < n; d++) {
        if (live[d] && accepting[d] == (pass == 0)) {
          number[d] = count++;
        }
      }
    }
    int acceptCount = 0;
    for (int d = 0; d < n; d++) {
      acceptCount += accepting[d] ? 1 : 0;
    }
    int[] next = new int[Math.max(1, count * classes)];
    for (int d = 0; d < n; d++) {
      if (number[d] >= 0) {
        int[] row = rows.get(d);
        for (int k = 0; k < classes; k++) {
          int to = row[k] < 0 ? -1 : number[row[k]];
          next[number[d] * classes + k] = to < 0 ? -1 : to * classes;
        }
      }
    }
    int start = number[0] < 0 ? -1 : number[0] * classes;
    return new RegexDfa(
        a.ascii,
        a.rangeStart,
        a.rangeClass,
        a.supplementary,
        next,
        start,
        acceptCount * classes,
        count);
  }

  private static RegexDfa deadAutomaton(Alphabet a) {
    return new RegexDfa(a.ascii, a.rangeStart, a.rangeClass, a.supplementary, new int[1], -1, 0, 0);
  }

  /**
   * States from which an accepting one is reachable: a search back from the accepting states
   * over the reversed transitions, so the cost stays linear in the table.
   */
  private static boolean[] liveStates(List<int[]> rows, boolean[] accepting) {
    int n = accepting.length;
    int[] firstFrom = new int[n + 1]; // predecessors of t: from[firstFrom[t] .. firstFrom[t + 1])
    for (int[] row : rows) {
      for (int to : row) {
        if (to >= 0) {
          firstFrom[to + 1]++;
        }
      }
    }
    for (int t = 0; t < n; t++) {
      firstFrom[t + 1] += firstFrom[t];
    }
    int[] from = new int[firstFrom[n]];
    int[] fill = Arrays.copyOf(firstFrom, n);
    for (int d = 0; d < n; d++) {
      for (int to : rows.get(d)) {
        if (to >= 0) {
          from[fill[to]++] = d;
        }
      }
    }
    boolean[] live = accepting.clone();
    int[] queue = new int[n];
    int tail = 0;
    for (int d = 0; d < n; d++) {
      if (live[d]) {
        queue[tail++] = d;
      }
    }
    for (int head = 0; head < tail; head++) {
      int t = queue[head];
      for (int i = firstFrom[t]; i < firstFrom[t + 1]; i++) {
        if (!live[from[i]]) {
          live[from[i]] = true;
          queue[tail++] = from[i];
        }
      }
    }
    return live;
  }

  /** A sorted node set as a map key: node numbers stay below 65536, one char each. */
  private static String key(int[] sorted) {
    char[] chars = new char[sorted.length];
    for (int i = 0; i < sorted.length; i++) {
      chars[i] = (char) sorted[i];
    }
    return new String(chars);
  }

  /** Thrown while compiling for anything that makes the answer null. No stack trace: not a bug. */
  private static final class Unsupported extends RuntimeException {
    Unsupported() {
      super(null, null, false, false);
    }
  }

  private sealed interface Node permits Leaf, Concat, Alt, Repeat {}

  /** One char from set number {@code set}. */
  private record Leaf(int set) implements Node {}

  private record Concat(List<Node> items) implements Node {}

  private record Alt(List<Node> items) implements Node {}

  /** {@code max} is -1 when unbounded. */
  private record Repeat(Node body, int min, int max) implements Node {}

  /**
   * Recursive descent over the supported subset. Char sets are sorted, merged {@code [lo, hi]}
   * pairs over the BMP plus {@link #SUPPLEMENTARY}; a leaf refers to one by number.
   */
  private static final class Parser {
    final List<int[]> sets = new ArrayList<>();
    private final String re;
    private int pos;
    private int depth;

    Parser(String re) {
      this.re = re;
    }

    Node parse() {
      if (re.startsWith("^")) {
        pos = 1; // begin-text is a no-op for a full match; anywhere else it is refused below
      }
      Node root = alternation();
      if (pos != re.length()) {
        throw new Unsupported(); // an unbalanced ')'
      }
      return root;
    }

    private Node alternation() {
      List<Node> items = new ArrayList<>();
      items.add(concatenation());
      while (pos < re.length() && re.charAt(pos) == '|') {
        pos++;
        items.add(concatenation());
      }
      return items.size() == 1 ? items.get(0) : new Alt(items);
    }

    private Node concatenation() {
      List<Node> items = new ArrayList<>();
      while (pos < re.length()) {
        char c = re.charAt(pos);
        if (c == '|' || c == ')') {
          break;
        }
        if (c == '$' && pos == re.length() - 1 && depth == 0) {
          pos++; // end-text as the very last char: a no-op for a full match
          break;
        }
        items.add(quantified(atom()));
      }
      return items.size() == 1 ? items.get(0) : new Concat(items);
    }

    private Node quantified(Node atom) {
      if (pos >= re.length()) {
        return atom;
      }
      int min;
      int max;
      switch (re.charAt(pos)) {
        case '*' -> {
          min = 0;
          max = -1;
        }
        case '+' -> {
          min = 1;
          max = -1;
        }
        case '?' -> {
          min = 0;
          max = 1;
        }
        case '{' -> {
          int close = re.indexOf('}', pos);
          if (close < 0) {
            throw new Unsupported(); // RE2 reads a lone '{' as a literal; left to RE2/J
          }
          String body = re.substring(pos + 1, close);
          int comma = body.indexOf(',');
          min = count(comma < 0 ? body : body.substring(0, comma));
          if (comma < 0) {
            max = min;
          } else {
            max = comma == body.length() - 1 ? -1 : count(body.substring(comma + 1));
          }
          if (max >= 0 && max < min) {
            throw new Unsupported();
          }
          pos = close;
        }
        default -> {
          return atom;
        }
      }
      pos++;
      if (pos < re.length() && re.charAt(pos) == '?') {
        pos++; // lazy: another preference among matches, the same language
      }
      if (pos < re.length() && "*+?{".indexOf(re.charAt(pos)) >= 0) {
        throw new Unsupported(); // stacked repetition, which RE2 refuses
      }
      return new Repeat(atom, min, max);
    }

    private static int count(String digits) {
      if (digits.isEmpty() || digits.length() > 4) {
        throw new Unsupported();
      }
      int value = 0;
      for (int i = 0; i < digits.length(); i++) {
        char c = digits.charAt(i);
        if (c < '0' || c > '9') {
          throw new Unsupported();
        }
        value = value * 10 + (c - '0');
      }
      if (value > MAX_REPEAT) {
        throw new Unsupported();
      }
      return value;
    }

    private Node atom() {
      char c = re.charAt(pos++);
      switch (c) {
        case '(' -> {
          if (pos < re.length() && re.charAt(pos) == '?') {
            if (!re.startsWith("?:", pos)) {
              throw new Unsupported(); // flags, named groups
            }
            pos += 2;
          }
          if (++depth > MAX_NESTING) {
            throw new Unsupported();
          }
          Node inner = alternation();
          if (pos >= re.length() || re.charAt(pos) != ')') {
            throw new Unsupported();
          }
          pos++;
          depth--;
          return inner;
        }
        case '[' -> {
          return leaf(charClass());
        }
        case '.' -> {
          return leaf(complement(NEWLINE));
        }
        case '\\' -> {
          int[] perl = perlClass();
          return leaf(perl != null ? perl : single(escape()));
        }
        case '*', '+', '?', '{', '^', '$' -> throw new Unsupported();
        default -> {
          return leaf(single(literal(c)));
        }
      }
    }

    private Leaf leaf(int[] set) {
      sets.add(set);
      return new Leaf(sets.size() - 1);
    }

    /** A bracket class; {@code pos} is just past the '['. */
    private int[] charClass() {
      boolean negated = pos < re.length() && re.charAt(pos) == '^';
      if (negated) {
        pos++;
      }
      List<int[]> parts = new ArrayList<>();
      boolean first = true;
      while (true) {
        if (pos >= re.length()) {
          throw new Unsupported();
        }
        char c = re.charAt(pos);
        if (c == ']' && !first) {
          pos++;
          break;
        }
        first = false;
        if (c == '[' && pos + 1 < re.length() && re.charAt(pos + 1) == ':') {
          throw new Unsupported(); // POSIX [:alpha:]
        }
        if (c == '\\') {
          pos++;
          int[] perl = perlClass();
          if (perl != null) {
            parts.add(perl);
            continue;
          }
          pos--;
        }
        int lo = classChar();
        int hi = lo;
        // "a-]" is 'a' and '-'; in Perl mode a '-' elsewhere is a range or a literal
        if (pos + 1 < re.length() && re.charAt(pos) == '-' && re.charAt(pos + 1) != ']') {
          pos++;
          hi = classChar();
          if (hi < lo) {
            throw new Unsupported();
          }
        }
        parts.add(new int[] {lo, hi});
      }
      int[] set = union(parts);
      return negated ? complement(set) : set;
    }

    private int classChar() {
      if (pos >= re.length()) {
        throw new Unsupported();
      }
      char c = re.charAt(pos++);
      return c == '\\' ? escape() : literal(c);
    }

    /** {@code \d} and friends, just past the backslash; null (nothing consumed) for others. */
    private int @Nullable [] perlClass() {
      if (pos >= re.length()) {
        throw new Unsupported();
      }
      int[] set =
          switch (re.charAt(pos)) {
            case 'd' -> DIGIT;
            case 'D' -> complement(DIGIT);
            case 'w' -> WORD;
            case 'W' -> complement(WORD);
            case 's' -> SPACE;
            case 'S' -> complement(SPACE);
            default -> null;
          };
      if (set != null) {
        pos++;
      }
      return set;
    }

    /** A single-char escape, just past the backslash. */
    private int escape() {
      if (pos >= re.length()) {
        throw new Unsupported();
      }
      char c = re.charAt(pos++);
      if (c < 128 && !Character.isLetterOrDigit(c)) {
        return c; // RE2: escaped ASCII punctuation is always itself
      }
      return switch (c) {
        case 't' -> '\t';
        case 'n' -> '\n';
        case 'r' -> '\r';
        case 'f' -> '\f';
        case 'v' -> 0x0B;
        case 'a' -> 0x07;
        default -> throw new Unsupported(); // \b \p \Q \x \1 \z ...
      };
    }

    private static int literal(char c) {
      if (Character.isSurrogate(c)) {
        throw new Unsupported(); // keeps every set all-or-nothing on supplementary code points
      }
      return c;
    }
  }

  private static int[] single(int c) {
    return new int[] {c, c};
  }

  /** Sorted, merged pairs from any number of sorted-pair sets. */
  private static int[] union(List<int[]> parts) {
    List<int[]> pairs = new ArrayList<>();
    for (int[] part : parts) {
      for (int i = 0; i < part.length; i += 2) {
        pairs.add(new int[] {part[i], part[i + 1]});
      }
    }
    pairs.sort((x, y) -> Integer.compare(x[0], y[0]));
    int[] out = new int[pairs.size() * 2];
    int n = 0;
    for (int[] p : pairs) {
      if (n > 0 && p[0] <= out[n - 1] + 1) {
        out[n - 1] = Math.max(out[n - 1], p[1]);
      } else {
        out[n++] = p[0];
        out[n++] = p[1];
      }
    }
    return Arrays.copyOf(out, n);
  }

  /** Everything in {@code [0, SUPPLEMENTARY]} outside the sorted, merged {@code set}. */
  private static int[] complement(int[] set) {
    int[] out = new int[set.length + 2];
    int n = 0;
    int from = 0;
    for (int i = 0; i < set.length; i += 2) {
      if (set[i] > from) {
        out[n++] = from;
        out[n++] = set[i] - 1;
      }
      from = set[i + 1] + 1;
    }
    if (from <= SUPPLEMENTARY) {
      out[n++] = from;
      out[n++] = SUPPLEMENTARY;
    }
    return Arrays.copyOf(out, n);
  }

  /**
   * The input symbols split into classes that no set of the pattern tells apart, so the table has
   * one column per class instead of one per char.
   */
  private static final class Alphabet {
    final int classes;
    final BitSet[] setClasses;
    final int[] ascii = new int[128];
    final char[] rangeStart;
    final int[] rangeClass;
    final int supplementary;

    Alphabet(List<int[]> sets) {
      // segment boundaries; 128 and SUPPLEMENTARY are forced so that both lookups line up
      List<Integer> cuts = new ArrayList<>(List.of(0, 128, SUPPLEMENTARY, SUPPLEMENTARY + 1));
      for (int[] set : sets) {
        for (int i = 0; i < set.length; i += 2) {
          cuts.add(set[i]);
          cuts.add(set[i + 1] + 1);
        }
      }
      int[] b = cuts.stream().mapToInt(Integer::intValue).sorted().distinct().toArray();
      int segments = b.length - 1;
      BitSet[] members = new BitSet[segments];
      for (int s = 0; s < segments; s++) {
        members[s] = new BitSet();
      }
      for (int id = 0; id < sets.size(); id++) {
        int[] set = sets.get(id);
        for (int i = 0; i < set.length; i += 2) {
          for (int s = Arrays.binarySearch(b, set[i]); b[s] <= set[i + 1]; s++) {
            members[s].set(id);
          }
        }
      }
      Map<BitSet, Integer> ids = new HashMap<>();
      int[] segmentClass = new int[segments];
      for (int s = 0; s < segments; s++) {
        segmentClass[s] = ids.computeIfAbsent(members[s], m -> ids.size());
      }
      classes = ids.size();
      setClasses = new BitSet[sets.size()];
      for (int id = 0; id < sets.size(); id++) {
        setClasses[id] = new BitSet();
      }
      for (int s = 0; s < segments; s++) {
        for (int id = members[s].nextSetBit(0); id >= 0; id = members[s].nextSetBit(id + 1)) {
          setClasses[id].set(segmentClass[s]);
        }
      }
      List<Integer> starts = new ArrayList<>();
      List<Integer> startClasses = new ArrayList<>();
      int supp = -1;
      for (int s = 0; s < segments; s++) {
        if (b[s] < 128) {
          Arrays.fill(ascii, b[s], b[s + 1], segmentClass[s]);
        } else if (b[s] < SUPPLEMENTARY) {
          int last = startClasses.size() - 1;
          if (last < 0 || startClasses.get(last) != segmentClass[s]) {
            starts.add(b[s]);
            startClasses.add(segmentClass[s]);
          }
        } else {
          supp = segmentClass[s];
        }
      }
      rangeStart = new char[starts.size()];
      rangeClass = new int[starts.size()];
      for (int i = 0; i < starts.size(); i++) {
        rangeStart[i] = (char) (int) starts.get(i);
        rangeClass[i] = startClasses.get(i);
      }
      supplementary = supp;
    }
  }

  /**
   * A Thompson NFA in flat arrays. Node kinds: a char node (set number ≥ 0, then {@code out1}), a
   * split ({@link #SPLIT}, both outs, epsilon) and the match node.
   */
  private static final class Nfa {
    static final int SPLIT = -1;
    static final int MATCH = -2;

    int[] set = new int[64];
    int[] out1 = new int[64];
    int[] out2 = new int[64];
    int size;
    int match = -1;
    private int emits;

    int add(int kind, int o1, int o2) {
      if (size == MAX_NFA_NODES) {
        throw new Unsupported();
      }
      if (size == set.length) {
        set = Arrays.copyOf(set, size * 2);
        out1 = Arrays.copyOf(out1, size * 2);
        out2 = Arrays.copyOf(out2, size * 2);
      }
      set[size] = kind;
      out1[size] = o1;
      out2[size] = o2;
      if (kind == MATCH) {
        match = size;
      }
      return size++;
    }

    /**
     * Emits {@code node} so that it continues to {@code next} and returns its entry. Building back
     * to front needs no patch lists: every continuation exists before what leads to it.
     */
    int emit(Node node, int next) {
      if (++emits > MAX_EMITS) {
        throw new Unsupported();
      }
      if (node instanceof Leaf leaf) {
        return add(leaf.set(), next, -1);
      }
      if (node instanceof Concat concat) {
        int entry = next;
        for (int i = concat.items().size() - 1; i >= 0; i--) {
          entry = emit(concat.items().get(i), entry);
        }
        return entry;
      }
      if (node instanceof Alt alt) {
        List<Node> items = alt.items();
        int entry = emit(items.get(items.size() - 1), next);
        for (int i = items.size() - 2; i >= 0; i--) {
          entry = add(SPLIT, emit(items.get(i), next), entry);
        }
        return entry;
      }
      Repeat r = (Repeat) node;
      int entry = next;
      if (r.max() < 0) {
        int loop = add(SPLIT, -1, next); // x*: filled in once the body exists
        int body = emit(r.body(), loop); // may grow the arrays: read out1 only after
        out1[loop] = body;
        entry = loop;
      } else {
        // x{0,k} as (x(x(...)?)?)?: each optional copy may skip straight to next
        for (int i = r.min(); i < r.max(); i++) {
          entry = add(SPLIT, emit(r.body(), entry), next);
        }
      }
      for (int i = 0; i < r.min(); i++) {
        entry = emit(r.body(), entry);
      }
      return entry;
    }
  }

  /** Epsilon closures, keeping only char and match nodes: they alone decide what comes next. */
  private static final class Closure {
    private final Nfa nfa;
    private final int[] mark;
    private final int[] stack;
    private final int[] found;
    private int generation;
    int visited;

    Closure(Nfa nfa) {
      this.nfa = nfa;
      this.mark = new int[nfa.size];
      this.stack = new int[nfa.size];
      this.found = new int[nfa.size];
    }

    int[] of(int[] from, int count) {
      generation++;
      visited = 0;
      int top = 0;
      int n = 0;
      for (int i = 0; i < count; i++) {
        top = push(from[i], top);
      }
      while (top > 0) {
        int node = stack[--top];
        visited++;
        if (nfa.set[node] == Nfa.SPLIT) {
          top = push(nfa.out1[node], top);
          top = push(nfa.out2[node], top);
        } else {
          found[n++] = node;
        }
      }
      int[] result = Arrays.copyOf(found, n);
      Arrays.sort(result);
      return result;
    }

    private int push(int node, int top) {
      if (mark[node] == generation) {
        return top;
      }
      mark[node] = generation;
      stack[top] = node;
      return top + 1;
    }
  }
}
