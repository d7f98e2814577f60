/**
 * The {@code mesh4j} command for operators: {@code validate} checks policy files as the controller
 * would, {@code status} shows what every application connected to a controller holds.
 */
@NullMarked
package io.mesh4j.cli;

import org.jspecify.annotations.NullMarked;
