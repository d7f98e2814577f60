package io.mesh4j.core.policy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one rule by which mesh4j judges policy input, wherever it is read (a watched directory, the
 * controller's local directory, Kubernetes custom resources and ConfigMaps): each resource is
 * judged on its own. A resource with a problem is left out and its last good version, if there is
 * one, is served in its place, while every valid resource next to it is served as written.
 * Cross-resource problems (a route naming a subset its destination lacks, two routes for one
 * service) are handled the same way for every resource they name, until what is left validates as
 * one {@link PolicySet}. A document that cannot be read at all (bad YAML, too large, not UTF-8)
 * names no resource, so none can be judged: then no resource served before is dropped. Every
 * problem is reported.
 *
 * <p>Why not refuse a whole edit: one team's bad file must not freeze every other team's updates,
 * and a resource is the unit operators write, review and roll back.
 *
 * <p>A pure function of its arguments; stateless and thread-safe.
 */
public final class PolicyAssembler {

  /** Cross-resource validation rounds; each round only ever removes or reverts resources. */
  private static final int MAX_ROUNDS = 8;

  private PolicyAssembler() {}

  /**
   * One input as an operator wrote it, already read.
   *
   * @param origin how problems name it when they name no resource, e.g. {@code ConfigMap
   *     shop/mesh routes.yaml}; also how duplicates say where a resource was defined first
   * @param read what {@link PolicyReader} read from it
   */
  public record Document(String origin, ReadResult read) {

    /** {@code yaml} (one or more mesh4j documents), read. */
    public static Document parse(String origin, String yaml) {
      return new Document(origin, PolicyReader.read(yaml));
    }
  }

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
   * Judges {@code documents} resource by resource against what was served before.
   *
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
      ReadResult read = doc.read();
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
    boolean unreadable = false;
    for (Problem p : problems) {
      refused.add(p.resource());
      unreadable |= !p.resource().startsWith("input") && !isRef(p.resource());
    }
    for (Map.Entry<String, MeshResource> e : lastGood.entrySet()) {
      // A document that could not be read may have held any of them: keep them all.
      if ((unreadable || refused.contains(e.getKey())) && !candidates.containsKey(e.getKey())) {
        candidates.put(e.getKey(), e.getValue());
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

  /** Whether {@code name} is a resource's {@code Kind namespace/name}, not a file or document. */
  private static boolean isRef(String name) {
    int space = name.indexOf(' ');
    return space > 0
        && PolicyReader.isKind(name.substring(0, space))
        && name.indexOf('/', space) > space
        && name.indexOf(' ', space + 1) < 0;
  }

  /** Problems about a document that names no resource are named after where it came from. */
  private static Problem renamed(Problem p, String origin) {
    if (p.resource().startsWith("input (document ")) {
      return new Problem(origin + p.resource().substring("input".length()), p.path(), p.expected(), p.actual());
    }
    return p;
  }
}
