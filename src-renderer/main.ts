import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { API_KEY, resolveApi } from './api'
import './styles.css'

createApp(App).provide(API_KEY, resolveApi()).use(createPinia()).mount('#app')
