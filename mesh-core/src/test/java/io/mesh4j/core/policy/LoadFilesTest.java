package io.mesh4j.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@link PolicyResult#load(List)}: files from anywhere, judged together as one directory's files are. */
@Timeout(10)
class LoadFilesTest {

  @TempDir Path dir;

  @Test
  void filesInDifferentDirectoriesAreCheckedAgainstEachOtherAsOneDirectorysFilesAre() throws IOException {
    Path a = write(dir.resolve("a.yaml"), route("catalog-a"));
    Path b = write(Files.createDirectories(dir.resolve("team")).resolve("b.yaml"), route("catalog-b"));
    Path together = Files.createDirectories(dir.resolve("together"));
    Files.copy(a, together.resolve("a.yaml"));
    Files.copy(b, together.resolve("b.yaml"));

    PolicyResult files = PolicyResult.load(List.of(a, b));

    assertThat(files.isValid()).isFalse();
    assertThat(files.problems()).isEqualTo(PolicyResult.load(together).problems());
    assertThat(PolicyResult.load(List.of(a)).isValid()).isTrue();
  }

  @Test
  void aDocumentThatCannotBeReadNamesItsFileByThePathGiven() throws IOException {
    Path bad = write(Files.createDirectories(dir.resolve("team")).resolve("bad.yaml"), "kind: [");

    PolicyResult result = PolicyResult.load(List.of(write(dir.resolve("a.yaml"), route("catalog-a")), bad));

    assertThat(result.problems()).singleElement().extracting(Problem::resource).isEqualTo(bad + " (document 1)");
  }

  private static Path write(Path file, String yaml) throws IOException {
    return Files.writeString(file, yaml);
  }

  private static String route(String name) {
    return """
        apiVersion: mesh4j.io/v1alpha1
        kind: TrafficRoute
        metadata: {name: %s, namespace: shop}
        spec:
          destination: catalog
          rules:
            - backends:
                - {weight: 100}
        """
        .formatted(name);
  }
}
