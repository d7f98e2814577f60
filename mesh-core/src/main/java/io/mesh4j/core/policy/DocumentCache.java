package io.mesh4j.core.policy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads policy from a list of YAML documents that changes little from one read to the next, such
 * as the complete snapshots a controller sends whenever one resource changes: a document whose
 * exact text was part of the last valid read is not parsed and bound again, its resource from
 * then is reused (resources are immutable, and what a text binds to depends on the text alone).
 * Every read is still validated as a whole, by the rules of {@link PolicyResult#parse}, so a
 * reused resource that no longer fits with the others is refused as it would be when parsed.
 *
 * <p>Only documents that on their own made one resource and no problem are kept, and only those
 * of the last read that was valid: a document that was refused is parsed, and refused, again on
 * every read, and an invalid read leaves the last valid one's documents in place. The cache holds
 * no more than one read's documents.
 *
 * <p>Not thread-safe: one owner, one read at a time.
 */
public final class DocumentCache {

  private Map<String, PolicyReader.Known> known = Map.of();

  /**
   * The set the {@code documents} describe together (each a YAML document, problems naming the
   * i-th as {@code resources[i]}), or every problem that keeps them from being a valid one.
   */
  public PolicyResult parse(List<String> documents) {
    Map<String, PolicyReader.Known> bound = new HashMap<>();
    PolicyResult result = PolicyResult.validated(PolicyReader.readDocuments(documents, known, bound));
    if (result.isValid()) {
      known = bound;
    }
    return result;
  }

  /** How many documents are kept. */
  int size() {
    return known.size();
  }
}
