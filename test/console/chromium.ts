/** Debian's Chromium, driven by playwright-core: what the console's browser tests (and bench) run in. */
export const CHROMIUM = process.env.VERDICT_CHROMIUM ?? '/usr/bin/chromium';
// Without the background-networking flags Chromium keeps calling Google's hosts, which this closed network refuses.
export const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
