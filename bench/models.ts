import type { Case } from './harness.js';
export function modelCases(): Case[] {
  return [];
}
