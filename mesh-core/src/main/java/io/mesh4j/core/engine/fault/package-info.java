/**
 * Fault injection: which share of a rule's calls is delayed or aborted. Percentages are compiled
 * to parts per million once, so a decision is one labelled random draw and one comparison.
 */
@NullMarked
package io.mesh4j.core.engine.fault;

import org.jspecify.annotations.NullMarked;
