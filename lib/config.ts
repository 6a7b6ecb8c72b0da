/** The platform's settings: the schema in lib/settings/schema.ts, resolved by lib/settings/resolve.ts. */
export { ConfigError, configFromContext, DEFAULT_CONFIG, resolveConfig } from './settings/resolve';
export {
  CONFIG_CONTEXT_KEY,
  DEFAULT_CONTENT_TYPES,
  LOG_RETENTION_DAYS,
  MAX_OBJECT_BYTES,
  OPTIONAL_SETTINGS,
  type OptionalSetting,
  type PlatformConfig,
  PRICE_CLASSES,
  type PriceClassName,
  RATE_WINDOWS_SECONDS,
  type SettingName,
  settingRange,
} from './settings/schema';
