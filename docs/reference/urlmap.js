// SPDX-License-Identifier: LGPL-2.1-or-later
// The reference of each namespace the Nn reference links to.
baseURLs = [
  ['GLib', 'https://docs.gtk.org/glib/'],
  ['GObject', 'https://docs.gtk.org/gobject/'],
  ['Gio', 'https://docs.gtk.org/gio/'],
  ['GModule', 'https://docs.gtk.org/gmodule/'],
]
