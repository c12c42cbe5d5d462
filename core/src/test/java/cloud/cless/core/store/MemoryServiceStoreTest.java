package cloud.cless.core.store;

class MemoryServiceStoreTest extends ServiceStoreContractTest {

    @Override
    protected ServiceStore newStore() {
        return new MemoryServiceStore();
    }
}
