// Package arch holds tests that keep firmaflow's architecture: neutral
// packages name no provider, and client-side programs link no worker code.
package arch
