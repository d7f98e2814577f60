package io.mesh4j.controller.ca;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local mode's authenticator: a bootstrap token file mapping tokens to ServiceAccounts, one per
 * line, {@code <token> <namespace>/<serviceAccount>}; blank lines and lines starting with
 * {@code #} are ignored. Tokens are at least 16 characters and unique.
 *
 * <pre>
 * # token                             identity
 * 3f9c2e1d8b7a4c6e9f0a1b2c3d4e5f60    shop/frontend
 * 9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d    shop/catalog
 * </pre>
 *
 * <p>The file is read again whenever its size or modification time changes, so tokens can be
 * added or revoked without a restart; an edit that breaks the file is logged and the last good
 * table stays in force. Only SHA-256 digests of the tokens are kept in memory.
 *
 * <p>Thread-safe.
 */
public final class TokenFileAuthenticator implements WorkloadAuthenticator {

  private static final Logger log = LoggerFactory.getLogger(TokenFileAuthenticator.class);

  /** The shortest token accepted; shorter ones are guessable. */
  public static final int MIN_TOKEN_LENGTH = 16;

  private record Table(Map<String, CallerIdentity> byDigest, FileTime modified, long size) {}

  private final Path file;
  private volatile Table table;

  private TokenFileAuthenticator(Path file, Table table) {
    this.file = file;
    this.table = table;
  }

  /**
   * Reads {@code file}.
   *
   * @throws IllegalArgumentException when the file cannot be read or a line is malformed; the
   *     message names the file, the line and what is expected
   */
  public static TokenFileAuthenticator load(Path file) {
    try {
      return new TokenFileAuthenticator(file, read(file));
    } catch (IOException e) {
      throw new IllegalArgumentException("token file " + file + ": cannot read it (" + e + ")", e);
    }
  }

  @Override
  public CallerIdentity authenticate(String token) throws AuthenticationException {
    Table t = current();
    CallerIdentity who = t.byDigest().get(digest(token));
    if (who == null) {
      throw new AuthenticationException(
          "the bearer token is not listed in the controller's token file");
    }
    return who;
  }

  /** The table for the file as it is now; re-reads it after a change. */
  @SuppressWarnings("ReferenceEquality") // identity: has another thread replaced the table?
  private Table current() {
    Table t = table;
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      if (a.lastModifiedTime().equals(t.modified()) && a.size() == t.size()) {
        return t;
      }
      synchronized (this) {
        if (table != t) {
          return table;
        }
        Table fresh = read(file);
        table = fresh;
        log.info("Token file {} reloaded: {} tokens", file, fresh.byDigest().size());
        return fresh;
      }
    } catch (IOException | IllegalArgumentException e) {
      log.error("Token file {} could not be reloaded; the last good tokens stay in force: {}", file, e.getMessage());
      return t;
    }
  }

  private static Table read(Path file) throws IOException {
    BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    Map<String, CallerIdentity> byDigest = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String where = "token file " + file + " line " + (i + 1);
      String[] fields = line.split("\\s+", -1);
      if (fields.length != 2) {
        throw new IllegalArgumentException(
            where + ": has " + fields.length + " fields; expected '<token> <namespace>/<serviceAccount>'");
      }
      String token = fields[0];
      if (token.length() < MIN_TOKEN_LENGTH) {
        throw new IllegalArgumentException(
            where + ": the token has " + token.length() + " characters; expected at least " + MIN_TOKEN_LENGTH);
      }
      int slash = fields[1].indexOf('/');
      if (slash < 0) {
        throw new IllegalArgumentException(
            where + ": identity '" + fields[1] + "' is not '<namespace>/<serviceAccount>'");
      }
      CallerIdentity who;
      try {
        who = new CallerIdentity(fields[1].substring(0, slash), fields[1].substring(slash + 1));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
      }
      if (byDigest.put(digest(token), who) != null) {
        throw new IllegalArgumentException(where + ": the token is listed twice; tokens must be unique");
      }
    }
    return new Table(Map.copyOf(byDigest), attributes.lastModifiedTime(), attributes.size());
  }

  private static String digest(String token) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  @Override
  public String toString() {
    return "token file " + file;
  }

  /** For tests: the number of tokens in force. */
  int size() {
    return current().byDigest().size();
  }
}
