/**
 * The host's OS and CPU in the vocabulary release artifacts use (Go's GOOS/GOARCH).
 * Every downloadable tool kindlab pins is published for linux, darwin and windows on amd64 and arm64
 * (with per-tool gaps, handled where the URL is built), so anything else is refused up front.
 */
import { envError } from '../../core/errors.js';

export type HostOs = 'linux' | 'darwin' | 'windows';
export type HostArch = 'amd64' | 'arm64';

export interface HostPlatform {
  os: HostOs;
  arch: HostArch;
}

const osNames: Partial<Record<NodeJS.Platform, HostOs>> = { linux: 'linux', darwin: 'darwin', win32: 'windows' };
const archNames: Partial<Record<string, HostArch>> = { x64: 'amd64', arm64: 'arm64' };

export function hostPlatform(platform: NodeJS.Platform = process.platform, arch: string = process.arch): HostPlatform {
  const os = osNames[platform];
  const a = archNames[arch];
  if (!os || !a) {
    throw envError(
      `kindlab cannot fetch tools for ${platform}/${arch}`,
      'kind node images and the pinned tools exist for linux, macOS and Windows on amd64 or arm64 only.',
    );
  }
  return { os, arch: a };
}

/** The suffix Windows executables need; empty elsewhere. */
export function exeSuffix(p: HostPlatform): string {
  return p.os === 'windows' ? '.exe' : '';
}

export function platformDir(p: HostPlatform): string {
  return `${p.os}-${p.arch}`;
}
