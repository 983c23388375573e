// Package dashboard is the web app people sign in to: its pages, embedded
// in the binary, and what its sign-in stands on (argon2id passwords).
//
// The app is plain ES modules with no build step and no third-party code:
// `make run` needs no Node.js, there is nothing to keep in sync with a
// bundler's output, and every byte the browser runs is in web/ to read.
// Pages build the DOM with lib/dom.js, which only ever sets text, so
// captured content (hostile by definition) can never become markup.
package dashboard
