package io.mesh4j.controller.serve;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bearer tokens that open the admin endpoint: a file with one token per line (blank lines
 * and {@code #} comments ignored; several tokens let an operator add a new one before removing
 * the old). The file is read again when its size, modification time or inode change; an edit
 * that leaves no usable token is logged and the last good tokens stay in force, so a half-written
 * file never locks the operator out or opens the endpoint.
 *
 * <p>Only SHA-256 digests are kept, and a presented token is compared with every one of them in
 * constant time, so neither memory nor response time tells anything about a token.
 *
 * <p>Thread-safe.
 */
public final class AdminTokens {

  private static final Logger log = LoggerFactory.getLogger(AdminTokens.class);

  /** The shortest token accepted; shorter ones are guessable. */
  public static final int MIN_TOKEN_LENGTH = 16;

  private record Table(List<byte[]> digests, String stamp) {}

  private final Path file;
  private volatile Table table;
  // The stamp of an edit that could not be used, so it is logged once, not at every request.
  private volatile String refused = "";

  private AdminTokens(Path file, Table table) {
    this.file = file;
    this.table = table;
  }

  /**
   * Reads {@code file}.
   *
   * @throws IllegalArgumentException when it cannot be read, holds no token, or a token is too
   *     short; the message names the file and line
   */
  public static AdminTokens load(Path file) {
    Objects.requireNonNull(file, "file");
    try {
      return new AdminTokens(file, read(file));
    } catch (IOException e) {
      throw new IllegalArgumentException("admin token file " + file + ": cannot read it (" + e + ")", e);
    }
  }

  /** Whether {@code token} is one of the file's tokens as it is now. */
  public boolean accepts(String token) {
    byte[] presented = digest(token);
    boolean match = false;
    for (byte[] d : current().digests()) {
      // No early exit: the time taken does not depend on which token matched.
      match |= MessageDigest.isEqual(d, presented);
    }
    return match;
  }

  @SuppressWarnings("ReferenceEquality") // identity: has another thread replaced the table?
  private Table current() {
    Table t = table;
    try {
      String stamp = stamp(file);
      if (stamp.equals(t.stamp()) || stamp.equals(refused)) {
        return t;
      }
      synchronized (this) {
        if (table != t) {
          return table;
        }
        refused = stamp;
        Table fresh = read(file);
        table = fresh;
        log.info("Admin token file {} reloaded: {} token(s)", file, fresh.digests().size());
        return fresh;
      }
    } catch (IOException | IllegalArgumentException e) {
      log.error("Admin token file {} could not be reloaded; the last good tokens stay in force: {}", file, e.getMessage());
      return t;
    }
  }

  private static String stamp(Path file) throws IOException {
    BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
    return a.size() + " " + a.lastModifiedTime() + " " + a.fileKey();
  }

  private static Table read(Path file) throws IOException {
    String stamp = stamp(file);
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    List<byte[]> digests = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      if (line.length() < MIN_TOKEN_LENGTH || line.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException(
            "admin token file " + file + " line " + (i + 1) + ": expected one token of at least "
                + MIN_TOKEN_LENGTH + " characters without spaces");
      }
      digests.add(digest(line));
    }
    if (digests.isEmpty()) {
      throw new IllegalArgumentException("admin token file " + file + ": holds no token; expected one token per line");
    }
    return new Table(List.copyOf(digests), stamp);
  }

  private static byte[] digest(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  @Override
  public String toString() {
    return "admin token file " + file;
  }
}
