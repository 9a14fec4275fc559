#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# plugins/README.md followed as a user would, on a machine where nn is
# installed: nn is configured for a fresh prefix and installed there (so
# its compiled-in plugin folder is the installed one), then the example
# plugin is built out of tree with the guide's one command, checked, and
# used from an experiment through plugins: and through NN_PLUGIN_PATH, and
# so is the layer example, gaussian_noise; a
# plugin made by `nnrun new-plugin` is built with that command and with
# its meson.build, which installs it where nnrun finds it unaided, and a
# second one, an optimizer, is added to that meson.build and trains.
#
# Usage: test-out-of-tree.sh SOURCE_ROOT float|double MESON
set -eu

src=$1
real=$2
meson=$3

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nn-sdk-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

fail () {
  echo "FAIL: $*" >&2
  exit 1
}

step () {
  echo "== $*"
}

step "install nn into $prefix"
"$meson" setup "$tmp/build" "$src" --prefix="$prefix" --libdir=lib -Dreal="$real" \
  -Dtests=false -Dreference_tests=disabled >"$tmp/setup.log" 2>&1 \
  || { cat "$tmp/setup.log"; fail "meson setup"; }
"$meson" install -C "$tmp/build" >"$tmp/install.log" 2>&1 \
  || { tail -n 40 "$tmp/install.log"; fail "meson install"; }

# What a user's shell would have for a prefix outside the usual places.
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
export LD_LIBRARY_PATH="$prefix/lib"
export PATH="$prefix/bin:$PATH"
unset NN_PLUGIN_PATH

step "what was installed"
plugindir=$(pkg-config --variable=plugindir nncore)
[ "$plugindir" = "$prefix/lib/nn-1/plugins" ] || fail "plugindir is '$plugindir'"
[ "$(pkg-config --variable=real nncore)" = "$real" ] || fail "the .pc file does not say $real"
[ -f "$prefix/include/nncore-1/nn.h" ] || fail "no umbrella header"
[ -f "$plugindir/libnnact-sigmoid.so" ] || fail "no built-in plugin in $plugindir"
[ -x "$prefix/bin/nnrun" ] || fail "no nnrun"
[ "$(command -v nnrun)" = "$prefix/bin/nnrun" ] || fail "another nnrun comes first on PATH"

step "the installed nnrun finds the installed plugins, with no variable set"
nnrun plugins >"$tmp/plugins.txt" || fail "nnrun plugins"
grep -F "($plugindir/libnnact-sigmoid.so)" "$tmp/plugins.txt" >/dev/null \
  || { cat "$tmp/plugins.txt"; fail "sigmoid is not listed from $plugindir"; }

step "build the example with the guide's command only, outside the tree"
mkdir "$tmp/my-plugins"
cp "$src/examples/plugins/swish.c" "$tmp/my-plugins/"
(cd "$tmp/my-plugins" &&
 cc -shared -fPIC swish.c $(pkg-config --cflags --libs nncore) -o swish.so) \
  || fail "the guide's build command"
nnrun check-plugin "$tmp/my-plugins/swish.so" || fail "check-plugin swish.so"

step "an experiment names it, its folder in plugins:"
cat >"$tmp/swish.yaml" <<YAML
seed: 1
plugins: [my-plugins]
data: {source: iris, scale: minmax}
model:
  layers:
    - {units: 8, activation: {name: swish, beta: 1.5}}
    - {units: 3, activation: softmax}
optimizer: {name: sgd, learning_rate: 0.1}
train: {epochs: 5}
YAML
nnrun train "$tmp/swish.yaml" --quiet --out "$tmp/run-plugins" || fail "train with plugins:"
[ -f "$tmp/run-plugins/summary.json" ] || fail "no summary.json"

step "the same, through NN_PLUGIN_PATH"
grep -v '^plugins:' "$tmp/swish.yaml" >"$tmp/swish-path.yaml"
NN_PLUGIN_PATH="$tmp/my-plugins" nnrun train "$tmp/swish-path.yaml" --quiet \
  --out "$tmp/run-path" || fail "train with NN_PLUGIN_PATH"
[ -f "$tmp/run-path/summary.json" ] || fail "no summary.json"
if nnrun train "$tmp/swish-path.yaml" --quiet --out "$tmp/run-none" 2>"$tmp/none.err"; then
  fail "swish was found with neither plugins: nor NN_PLUGIN_PATH"
fi
grep "unknown activation 'swish'" "$tmp/none.err" >/dev/null || fail "$(cat "$tmp/none.err")"
NN_PLUGIN_PATH="$tmp/my-plugins" nnrun plugins swish >"$tmp/swish.txt" || fail "plugins swish"
grep "beta  number, default 1, from 0 to 100" "$tmp/swish.txt" >/dev/null \
  || { cat "$tmp/swish.txt"; fail "plugins swish does not describe beta"; }
NN_PLUGIN_PATH="$tmp/my-plugins" nnrun check-plugin swish || fail "check-plugin swish"

step "the layer example with the guide's command, in an experiment's layers"
cp "$src/examples/plugins/gaussian_noise.c" "$tmp/my-plugins/"
(cd "$tmp/my-plugins" &&
 cc -shared -fPIC gaussian_noise.c $(pkg-config --cflags --libs nncore) -o gaussian_noise.so) \
  || fail "the guide's build command for gaussian_noise.c"
nnrun check-plugin "$tmp/my-plugins/gaussian_noise.so" || fail "check-plugin gaussian_noise.so"
sed 's/    - {units: 8, activation: {name: swish, beta: 1.5}}/    - {type: gaussian_noise, stddev: 0.1}\n    - {units: 8, activation: relu}/' \
  "$tmp/swish.yaml" >"$tmp/noise.yaml"
grep -F "type: gaussian_noise" "$tmp/noise.yaml" >/dev/null || fail "no noise layer in noise.yaml"
nnrun train "$tmp/noise.yaml" --quiet --out "$tmp/run-noise" || fail "train with gaussian_noise"
grep -F "type_module: {type: GaussianNoiseLayer, file: $tmp/my-plugins/gaussian_noise.so" \
  "$tmp/run-noise/model.yaml" >/dev/null || fail "model.yaml does not name gaussian_noise.so"

step "nnrun new-plugin: built with the guide's command"
nnrun new-plugin activation my_act "$tmp/my_act" || fail "new-plugin activation"
cc -shared -fPIC "$tmp/my_act/my_act.c" $(pkg-config --cflags --libs nncore) \
  -o "$tmp/my_act/my_act.so" || fail "building my_act"
nnrun check-plugin "$tmp/my_act/my_act.so" || fail "check-plugin my_act.so"

nnrun new-plugin layer my_layer "$tmp/my_layer" || fail "new-plugin layer"
cc -shared -fPIC "$tmp/my_layer/my_layer.c" $(pkg-config --cflags --libs nncore) \
  -o "$tmp/my_layer/my_layer.so" || fail "building my_layer"
nnrun check-plugin "$tmp/my_layer/my_layer.so" || fail "check-plugin my_layer.so"

step "nnrun new-plugin: built and installed with its meson.build"
nnrun new-plugin loss my_loss "$tmp/my_loss" || fail "new-plugin loss"
"$meson" setup "$tmp/my_loss/build" "$tmp/my_loss" >"$tmp/loss-setup.log" 2>&1 \
  || { cat "$tmp/loss-setup.log"; fail "meson setup of my_loss"; }
"$meson" install -C "$tmp/my_loss/build" >"$tmp/loss-install.log" 2>&1 \
  || { cat "$tmp/loss-install.log"; fail "meson install of my_loss"; }
[ -f "$plugindir/my_loss.so" ] || fail "my_loss.so is not in $plugindir"
nnrun check-plugin my_loss || fail "check-plugin my_loss, from the plugin folder"

step "nnrun new-plugin: an optimizer beside it, added to the same meson.build"
nnrun new-plugin optimizer my_opt "$tmp/my_loss" || fail "new-plugin optimizer beside my_loss"
grep -F "shared_module('my_loss', 'my_loss.c'" "$tmp/my_loss/meson.build" >/dev/null \
  || fail "my_loss is gone from meson.build"
grep -F "shared_module('my_opt', 'my_opt.c'" "$tmp/my_loss/meson.build" >/dev/null \
  || fail "my_opt was not added to meson.build"
"$meson" install -C "$tmp/my_loss/build" >"$tmp/opt-install.log" 2>&1 \
  || { cat "$tmp/opt-install.log"; fail "meson install of both plugins"; }
[ -f "$plugindir/my_opt.so" ] || fail "my_opt.so is not in $plugindir"
nnrun check-plugin my_opt || fail "check-plugin my_opt"
cat >"$tmp/opt.yaml" <<YAML
seed: 1
data: {source: iris, scale: minmax}
model:
  layers:
    - {units: 8, activation: relu}
    - {units: 3, activation: softmax}
loss: my_loss
optimizer: {name: my_opt, learning_rate: 0.05, momentum: 0.5}
train: {epochs: 5}
YAML
nnrun train "$tmp/opt.yaml" --quiet --out "$tmp/run-opt" || fail "train with my_opt and my_loss"
[ -f "$tmp/run-opt/summary.json" ] || fail "no summary.json"

echo "out-of-tree plugin: all steps passed"
