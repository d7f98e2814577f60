package io.mesh4j.controller.crd;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The status the controller's leader writes on every mesh4j custom resource: its conditions, in
 * the Gateway API's vocabulary ({@code Accepted} with {@code True}/{@code False}, a reason and a
 * message naming the field path). Serialized by Jackson; mutable like every fabric8 model type.
 */
public class ResourceStatus {

  /** The {@code Accepted} condition's status, as a CRD printer column's JSONPath. */
  public static final String ACCEPTED_PATH = ".status.conditions[?(@.type==\"Accepted\")].status";

  /**
   * The {@code Applied} condition's status, as a CRD printer column's JSONPath; the condition is
   * only written (False) while applications refuse the resource.
   */
  public static final String APPLIED_PATH = ".status.conditions[?(@.type==\"Applied\")].status";

  private @Nullable List<Condition> conditions;

  /** The conditions, or null before the controller wrote any. */
  public @Nullable List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(@Nullable List<Condition> conditions) {
    this.conditions = conditions;
  }

  /** One condition. */
  public static class Condition {
    private @Nullable String type;
    private @Nullable String status;
    private @Nullable String reason;
    private @Nullable String message;
    private @Nullable Long observedGeneration;
    private @Nullable String lastTransitionTime;

    /** {@code Accepted}. */
    public @Nullable String getType() {
      return type;
    }

    public void setType(@Nullable String type) {
      this.type = type;
    }

    /** {@code True} or {@code False}. */
    public @Nullable String getStatus() {
      return status;
    }

    public void setStatus(@Nullable String status) {
      this.status = status;
    }

    /** {@code Accepted} or {@code Invalid}. */
    public @Nullable String getReason() {
      return reason;
    }

    public void setReason(@Nullable String reason) {
      this.reason = reason;
    }

    /** Every problem, one per line, each naming the field path, the value and the expectation. */
    public @Nullable String getMessage() {
      return message;
    }

    public void setMessage(@Nullable String message) {
      this.message = message;
    }

    /** The resource's generation this condition was computed for. */
    public @Nullable Long getObservedGeneration() {
      return observedGeneration;
    }

    public void setObservedGeneration(@Nullable Long observedGeneration) {
      this.observedGeneration = observedGeneration;
    }

    /** When the condition was written, RFC 3339. */
    public @Nullable String getLastTransitionTime() {
      return lastTransitionTime;
    }

    public void setLastTransitionTime(@Nullable String lastTransitionTime) {
      this.lastTransitionTime = lastTransitionTime;
    }
  }
}
