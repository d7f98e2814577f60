package io.mesh4j.samples.shop.catalog;

import io.grpc.stub.StreamObserver;
import io.mesh4j.samples.shop.catalog.api.CatalogGrpc;
import io.mesh4j.samples.shop.catalog.api.Item;
import io.mesh4j.samples.shop.catalog.api.ItemRequest;
import io.mesh4j.spring.MeshGrpcService;
import java.util.concurrent.atomic.LongAdder;
import org.springframework.beans.factory.annotation.Value;


/**
 * {@code shop.Catalog}: names an item and says which version and instance answered, so callers
 * (and the demo) can see which subset the mesh picked. The starter serves it on the mesh-managed
 * gRPC server ({@code mesh4j.grpc.*}) behind the mesh's server interceptor for {@code
 * mesh4j.service}, which applies the service's authorization and server-side rate limit.
 */
@MeshGrpcService
public class CatalogService extends CatalogGrpc.CatalogImplBase {

  private final String version;
  private final String instance;
  private final LongAdder served = new LongAdder();

  /** A catalog answering as {@code version} from {@code instance}. */
  public CatalogService(
      @Value("${catalog.version}") String version,
      @Value("${catalog.instance:catalog-${catalog.version}}") String instance) {
    if (!version.matches("v[0-9]+")) {
      throw new IllegalArgumentException(
          "catalog.version must look like v1 or v2 (it is the subset label), got '" + version + "'");
    }
    this.version = version;
    this.instance = instance;
  }

  @Override
  public void getItem(ItemRequest request, StreamObserver<Item> response) {
    served.increment();
    String id = request.getId();
    response.onNext(
        Item.newBuilder()
            .setId(id)
            .setName(("v2".equals(version) ? "Item " : "item ") + id)
            .setVersion(version)
            .setInstance(instance)
            .build());
    response.onCompleted();
  }

  /** This catalog's version, the label its endpoint carries. */
  public String version() {
    return version;
  }

  /** This instance's name. */
  public String instance() {
    return instance;
  }

  /** Calls answered since start, retries of other callers included. */
  public long served() {
    return served.sum();
  }
}
