// tauri-plugin-keyseat-api: the web side of tauri-plugin-keyseat. Every function invokes
// one of the plugin's commands (`plugin:keyseat|<name>`); the Rust side's command list and
// types are compared with this file by the plugin's tests, so the two cannot drift.
import { invoke } from '@tauri-apps/api/core'
import { listen, type UnlistenFn } from '@tauri-apps/api/event'

/** The license state's name. */
export type State =
  | 'not_activated'
  | 'active'
  | 'grace'
  | 'grace_expired'
  | 'revoked'
  | 'fingerprint_mismatch'
  | 'tampered'
  | 'clock_rollback'
  | 'wrong_product'
  | 'trial'
  | 'trial_expired'
  | 'unverified'

/** One entitlement of the key (a Dodo license-key grant, through keyseat-relay). */
export interface Entitlement {
  id: string
  grantId: string | null
  status: string | null
  expiresAt: string | null
}

/** The license on this machine. Times are RFC 3339 strings (UTC). Never the key. */
export interface LicenseStatus {
  state: State
  /** Whether the app should run as licensed (`active`, `grace` or `trial`). */
  licensed: boolean
  networkUsed: boolean
  provider: string | null
  productId: string | null
  productName: string | null
  customerEmail: string | null
  /** What frees this machine's seat from another one (`releaseInstance`). */
  instanceId: string | null
  instanceName: string | null
  holdsSeat: boolean
  /** When the key itself stops working, as the provider last said. */
  expiresAt: string | null
  activationLimit: number | null
  activationsUsed: number | null
  /** The key's entitlements; null when the provider does not say. */
  entitlements: Entitlement[] | null
  /** The key in redacted form (`****-8f43`). */
  keyHint: string | null
  activatedAt: string | null
  lastValidated: string | null
  /** When the license stops working if the server cannot be reached. */
  graceDeadline: string | null
  trialEndsAt: string | null
  keyStorage: string | null
  localStateProtected: boolean
  activatedOffline: boolean
}

/** One seat of a key. */
export interface Seat {
  /** What `releaseInstance(key, id)` frees. */
  id: string
  name: string
  createdAt: string | null
  thisMachine: boolean
}

/** What a failed call rejects with: keyseat's stable code (`LIMIT_REACHED`, …) and a message. */
export interface KeyseatError {
  code: string
  message: string
}

/** The event emitted with a `LicenseStatus` when the license state changes. */
export const STATUS_CHANGED = 'keyseat://status-changed'

/** The license state: from the cache when fresh, else asking the server. */
export async function status(): Promise<LicenseStatus> {
  return await invoke('plugin:keyseat|status')
}

/** Activates `key` on this machine. */
export async function activate(key: string): Promise<LicenseStatus> {
  return await invoke('plugin:keyseat|activate', { key })
}

/** Releases this machine's activation (`force`: remove it here even offline). */
export async function deactivate(
  force = false,
): Promise<'slot_freed' | 'already_gone' | 'local_only' | 'no_seat'> {
  return await invoke('plugin:keyseat|deactivate', { force })
}

/** Starts this machine's trial, or gives the trial or license that exists. */
export async function startTrial(): Promise<LicenseStatus> {
  return await invoke('plugin:keyseat|start_trial')
}

/** Frees another machine's seat (needs `keyseat:allow-release-instance`). */
export async function releaseInstance(
  key: string,
  instanceId: string,
): Promise<'slot_freed' | 'already_gone'> {
  return await invoke('plugin:keyseat|release_instance', { key, instanceId })
}

/** This machine's fingerprint for the app: 64 hex characters. */
export async function fingerprint(): Promise<string> {
  return await invoke('plugin:keyseat|fingerprint')
}

/** The seats of `key` (or of this machine's activation's key): the relay and Keygen. */
export async function seats(key?: string): Promise<Seat[]> {
  return await invoke('plugin:keyseat|seats', { key: key ?? null })
}

/** Calls `handler` with the status whenever the license state changes. */
export async function onStatusChanged(
  handler: (status: LicenseStatus) => void,
): Promise<UnlistenFn> {
  return await listen<LicenseStatus>(STATUS_CHANGED, (event) => handler(event.payload))
}
