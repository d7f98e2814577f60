package io.mesh4j.core.base;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTextTest {

  @Test
  void writesMapsListsAndScalarsAndEscapesWhatJsonMust() {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("name", "say \"hi\"\\\n\t\u0001");
    doc.put("n", 42);
    doc.put("ok", true);
    doc.put("none", null);
    doc.put("list", Arrays.asList(1, "two", null, List.of()));
    assertThat(JsonText.write(doc))
        .isEqualTo("{\"name\":\"say \\\"hi\\\"\\\\\\n\\t\\u0001\",\"n\":42,\"ok\":true,\"none\":null,"
            + "\"list\":[1,\"two\",null,[]]}");
  }
}
