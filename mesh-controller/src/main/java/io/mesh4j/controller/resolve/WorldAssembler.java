package io.mesh4j.controller.resolve;

import io.mesh4j.core.policy.MeshResource;
import io.mesh4j.core.policy.PolicyReader;
import io.mesh4j.core.policy.PolicyResult;
import io.mesh4j.core.policy.PolicySet;
import io.mesh4j.core.policy.Problem;
import io.mesh4j.core.policy.ReadResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds the world to serve from many independently written documents (one per custom resource
 * or ConfigMap entry), judging each resource on its own: a resource with a problem is left out
 * and its last good version, if there is one, is served in its place, while every valid resource
 * next to it is served as written. Cross-resource problems (a route naming a subset its
 * destination lacks, two routes for one service) are handled the same way for every resource they
 * name, until what is left validates as one {@link PolicySet}.
 *
 * <p>A pure function of its arguments; stateless and thread-safe.
 */
public final class WorldAssembler {

  /** Cross-resource validation rounds; each round only ever removes or reverts resources. */
  private static final int MAX_ROUNDS = 8;

  private WorldAssembler() {}

  /**
   * One YAML document as an operator wrote it.
   *
   * @param origin how problems name it when it names no resource, e.g. {@code ConfigMap shop/mesh routes.yaml}
   * @param yaml one or more mesh4j documents
   */
  public record Document(String origin, String yaml) {}

  /**
   * What to serve and what was refused.
   *
   * @param world the valid world: every good resource, and the last good version of refused ones
   * @param problems every problem found; empty when everything was accepted as written
   */
  public record Assembly(PolicySet world, List<Problem> problems) {
    public Assembly {
      problems = List.copyOf(problems);
    }

    /** The resources served, by {@code Kind namespace/name}: the next call's last good versions. */
    public Map<String, MeshResource> byRef() {
      Map<String, MeshResource> out = new LinkedHashMap<>();
      for (MeshResource r : world.resources()) {
        out.put(r.ref(), r);
      }
      return out;
    }
  }

  /**
   * @param documents what operators wrote
   * @param discovered resources the controller derived itself (endpoints), trusted to be valid
   * @param lastGood the resources served before, by {@code Kind namespace/name}
   */
  public static Assembly assemble(
      List<Document> documents, List<? extends MeshResource> discovered, Map<String, MeshResource> lastGood) {
    Map<String, MeshResource> candidates = new LinkedHashMap<>();
    List<Problem> problems = new ArrayList<>();
    Map<String, String> origins = new LinkedHashMap<>();
    for (Document doc : documents) {
      ReadResult read = PolicyReader.read(doc.yaml());
      for (Problem p : read.problems()) {
        problems.add(renamed(p, doc.origin()));
      }
      for (MeshResource r : read.resources()) {
        String previous = origins.putIfAbsent(r.ref(), doc.origin());
        if (previous != null) {
          problems.add(new Problem(r.ref(), "metadata.name", "must be unique per kind and namespace; also defined in " + previous, r.metadata().name()));
          continue;
        }
        candidates.put(r.ref(), r);
      }
    }
    for (MeshResource r : discovered) {
      candidates.putIfAbsent(r.ref(), r);
    }
    Set<String> refused = new LinkedHashSet<>();
    for (Problem p : problems) {
      refused.add(p.resource());
    }
    for (String ref : refused) {
      MeshResource good = lastGood.get(ref);
      if (good != null && !candidates.containsKey(ref)) {
        candidates.put(ref, good);
      }
    }
    for (int round = 0; round < MAX_ROUNDS; round++) {
      PolicyResult result = PolicyResult.of(new ArrayList<>(candidates.values()));
      if (result.isValid()) {
        return new Assembly(result.orElseThrow(), problems);
      }
      boolean changed = false;
      for (Problem p : result.problems()) {
        if (!problems.contains(p)) {
          problems.add(p);
        }
        MeshResource current = candidates.get(p.resource());
        MeshResource good = lastGood.get(p.resource());
        if (good != null && !good.equals(current)) {
          candidates.put(p.resource(), good);
          changed = true;
        } else if (current != null) {
          candidates.remove(p.resource());
          changed = true;
        }
      }
      if (!changed) {
        break;
      }
    }
    // Nothing consistent could be built from the parts; serve exactly what was served before.
    PolicyResult previous = PolicyResult.of(new ArrayList<>(lastGood.values()));
    return new Assembly(previous.policies().orElse(PolicySet.EMPTY), problems);
  }

  /** Problems about a document that names no resource are named after where it came from. */
  private static Problem renamed(Problem p, String origin) {
    if (p.resource().startsWith("input (document ")) {
      return new Problem(origin + p.resource().substring("input".length()), p.path(), p.expected(), p.actual());
    }
    return p;
  }
}
