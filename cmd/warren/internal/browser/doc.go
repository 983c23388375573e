// Package browser tests the dashboard in a real headless Chromium, driven
// with chromedp against the real binary; it has no code outside its tests.
package browser
