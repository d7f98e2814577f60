package io.mesh4j.wire.v1;

import io.mesh4j.core.policy.DocumentCache;
import io.mesh4j.core.policy.MeshResource;
import io.mesh4j.core.policy.PolicyResult;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.PolicyWriter;
import io.mesh4j.core.policy.Problem;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * Translates between validated policy and the wire's {@link Snapshot}, on both ends of the stream:
 * the controller encodes, the application decodes through {@link PolicySet}, so the content is
 * judged by the same rules everywhere. Also computes the content hash the contract defines.
 *
 * <p>Stateless and thread-safe.
 */
public final class Snapshots {

  /** The order resources travel in; a stable order makes equal content hash equally. */
  private static final Comparator<MeshResource> CANONICAL =
      Comparator.comparing(MeshResource::kind)
          .thenComparing(r -> r.metadata().namespace())
          .thenComparing(r -> r.metadata().name());

  private Snapshots() {}

  /** The snapshot of {@code resources} (already validated) under version {@code number}. */
  public static Snapshot encode(long number, List<? extends MeshResource> resources) {
    List<MeshResource> sorted = new ArrayList<>(resources);
    sorted.sort(CANONICAL);
    List<Resource> wire = new ArrayList<>(sorted.size());
    for (MeshResource r : sorted) {
      wire.add(Resource.newBuilder().setRef(r.ref()).setYaml(PolicyWriter.toYaml(r)).build());
    }
    return Snapshot.newBuilder()
        .setVersion(Version.newBuilder().setNumber(number).setHash(hash(wire)))
        .addAllResources(wire)
        .build();
  }

  /** The same content under another number; the hash stays, since the content does. */
  public static Snapshot renumber(Snapshot snapshot, long number) {
    return snapshot.toBuilder().setVersion(snapshot.getVersion().toBuilder().setNumber(number)).build();
  }

  /**
   * The validated set a snapshot carries, numbered with the snapshot's version, or every problem
   * with it (a hash that does not match the content included).
   */
  public static PolicyResult decode(Snapshot snapshot) {
    return decode(snapshot, new DocumentCache());
  }

  /**
   * {@link #decode(Snapshot)}, reusing from {@code documents} what the resources whose text did
   * not change since its last valid read were bound to: a snapshot is complete, yet an edit
   * usually changes one of its resources.
   */
  public static PolicyResult decode(Snapshot snapshot, DocumentCache documents) {
    String actual = hash(snapshot.getResourcesList());
    if (!actual.equals(snapshot.getVersion().getHash())) {
      return PolicyResult.invalid(
          List.of(
              new Problem(
                  "snapshot " + snapshot.getVersion().getNumber(),
                  "version.hash",
                  "must be the SHA-256 of the resources, " + actual,
                  snapshot.getVersion().getHash())));
    }
    List<String> yaml = new ArrayList<>(snapshot.getResourcesCount());
    for (Resource r : snapshot.getResourcesList()) {
      yaml.add(r.getYaml());
    }
    PolicyResult result = documents.parse(yaml);
    return result.policies()
        .map(p -> PolicyResult.valid(p.withVersion(snapshot.getVersion().getNumber())))
        .orElse(result);
  }

  /** The content hash the contract defines, in lower-case hex. */
  public static String hash(List<Resource> resources) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform must provide SHA-256", e);
    }
    for (Resource r : resources) {
      byte[] bytes = r.getYaml().getBytes(StandardCharsets.UTF_8);
      sha.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
      sha.update(bytes);
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  /** A problem for the wire. */
  public static io.mesh4j.wire.v1.Problem toWire(Problem problem) {
    io.mesh4j.wire.v1.Problem.Builder b =
        io.mesh4j.wire.v1.Problem.newBuilder()
            .setResource(problem.resource())
            .setPath(problem.path())
            .setExpected(problem.expected());
    if (problem.actual() != null) {
      b.setActual(problem.actual());
    }
    return b.build();
  }

  /** A problem from the wire. */
  public static Problem fromWire(io.mesh4j.wire.v1.Problem problem) {
    return new Problem(
        problem.getResource(),
        problem.getPath(),
        problem.getExpected(),
        problem.hasActual() ? problem.getActual() : null);
  }

  /** {@code number (hash prefix)}, the form logs and status use. */
  public static String describe(Version version) {
    String hash = version.getHash();
    return version.getNumber() + " (" + (hash.length() > 12 ? hash.substring(0, 12) : hash) + ")";
  }
}
