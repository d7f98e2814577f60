package io.mesh4j.core.policy;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Either a valid {@link PolicySet} or every problem that kept the input from being one. Errors are
 * values here, so that sources can report them instead of catching exceptions.
 *
 * <p>Immutable.
 */
public final class PolicyResult {

  private final @Nullable PolicySet policies;
  private final List<Problem> problems;

  private PolicyResult(@Nullable PolicySet policies, List<Problem> problems) {
    this.policies = policies;
    this.problems = List.copyOf(problems);
  }

  /** The set described by {@code yaml}, or every problem that keeps it from being valid. */
  public static PolicyResult parse(String yaml) {
    return validated(PolicyReader.readString(yaml));
  }

  /**
   * The set read from a YAML file or from the {@code *.yaml} / {@code *.yml} files of a directory
   * (see {@link PolicyReader#read(Path)}), or every problem that keeps it from being valid.
   */
  public static PolicyResult load(Path fileOrDirectory) {
    return validated(PolicyReader.readPath(fileOrDirectory));
  }

  /**
   * The set read from {@code files} together, as the files of one directory are read (so
   * references between them are checked), in the order given, or every problem that keeps it
   * from being valid. Problems that name no resource name the file by its path as given.
   */
  public static PolicyResult load(List<Path> files) {
    return validated(PolicyReader.readFiles(List.copyOf(files)));
  }

  /** The normalized set of {@code resources}, or every problem that keeps it from being valid. */
  public static PolicyResult of(List<? extends @Nullable MeshResource> resources) {
    return validated(PolicyReader.normalize(resources));
  }

  static PolicyResult validated(PolicyReader.Reading read) {
    List<Problem> problems = PolicySet.problems(read);
    return problems.isEmpty()
        ? valid(new PolicySet(0, read.resources()))
        : invalid(problems);
  }

  /** A valid set. */
  public static PolicyResult valid(PolicySet policies) {
    return new PolicyResult(policies, List.of());
  }

  /** Input that was refused; {@code problems} must not be empty. */
  public static PolicyResult invalid(List<Problem> problems) {
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("an invalid result needs at least one problem");
    }
    return new PolicyResult(null, problems);
  }

  /** True when this holds a policy set. */
  public boolean isValid() {
    return policies != null;
  }

  /** The set, when valid. */
  public Optional<PolicySet> policies() {
    return Optional.ofNullable(policies);
  }

  /** Every problem, in the order found; empty when valid. */
  public List<Problem> problems() {
    return problems;
  }

  /** The set, or an {@link InvalidPolicyException} listing every problem. */
  public PolicySet orElseThrow() {
    if (policies == null) {
      throw new InvalidPolicyException(problems);
    }
    return policies;
  }

  @Override
  public String toString() {
    return policies != null ? "valid " + policies : "invalid " + problems;
  }
}
