/** Examples of mesh4j's public API, and the demo behind the README's first command. */
package io.mesh4j.samples;
