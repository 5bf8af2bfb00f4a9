/** Starts the UI: the language first (texts are read at once), then the app shell. */
import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { initialLocale, setLocale } from './lib/i18n.ts';

setLocale(initialLocale());
const target = document.getElementById('app');
if (target) mount(App, { target });
