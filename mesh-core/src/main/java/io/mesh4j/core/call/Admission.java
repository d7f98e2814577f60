package io.mesh4j.core.call;

import org.jspecify.annotations.Nullable;

/**
 * The server-side answer for one incoming call: admitted, or refused with a {@link MeshFailure}.
 *
 * <p>Immutable; the admitted answer is a shared constant.
 */
public final class Admission {

  private static final Admission ADMITTED = new Admission(null);

  private final @Nullable MeshFailure refusal;

  private Admission(@Nullable MeshFailure refusal) {
    this.refusal = refusal;
  }

  /** The call may proceed. */
  public static Admission admitted() {
    return ADMITTED;
  }

  /** The call is refused for {@code failure}. */
  public static Admission refused(MeshFailure failure) {
    return new Admission(failure);
  }

  public boolean isAdmitted() {
    return refusal == null;
  }

  /**
   * Why the call was refused.
   *
   * @throws IllegalStateException if it was admitted
   */
  public MeshFailure refusal() {
    MeshFailure r = refusal;
    if (r == null) {
      throw new IllegalStateException("the call was admitted");
    }
    return r;
  }
}
