// Mounting helpers: a fresh Pinia and the fake API provided app-wide, as main.ts provides the real one.
import { flushPromises, mount, type ComponentMountingOptions } from '@vue/test-utils'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import { createApp, type Component } from 'vue'
import { API_KEY } from '../../src-renderer/api'
import { fakeApi, type FakeApi } from './fake-api'

/** A Pinia attached to an app that provides `fake.api`, so setup stores can inject it outside components. */
export function storeContext(fake: FakeApi = fakeApi()): { fake: FakeApi; pinia: Pinia } {
  const pinia = createPinia()
  createApp({}).provide(API_KEY, fake.api).use(pinia)
  setActivePinia(pinia)
  return { fake, pinia }
}

export async function mountWith<C extends Component>(component: C, fake: FakeApi, options: ComponentMountingOptions<C> = {}) {
  const pinia = createPinia()
  setActivePinia(pinia)
  const wrapper = mount(component, {
    ...options,
    attachTo: document.body,
    global: { plugins: [pinia], provide: { [API_KEY as symbol]: fake.api }, stubs: { VChart: true }, ...options.global }
  } as ComponentMountingOptions<C>)
  await flushPromises()
  return wrapper
}
