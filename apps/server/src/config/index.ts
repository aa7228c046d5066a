/**
 * The settings of `ipgate serve`, as a light entry point (`@ipgate/server/settings`): the CLI builds
 * its flags and help from it without loading the server itself.
 */
export { clientAddressConfig, loadSettings, type SettingSources } from './load-settings.js';
export type { HostPort } from './setting-parsers.js';
export { type LogLevel, type ServeSettings, type SettingSpec, settingSpecs } from './settings.js';
