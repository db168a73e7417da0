# Shell functions shared by devenv/setup.sh (.venv) and devenv/setup_py36.sh (.venv36); sourced.

# pip_into VENV ARGS...: pip install quietly into VENV; on failure show pip's log and stop.
pip_into() {
    local venv=$1
    shift
    "$venv/bin/pip" install -q --disable-pip-version-check "$@" >"$venv/pip.log" 2>&1 || {
        grep -v 'is ignored' "$venv/pip.log" >&2
        exit 1
    }
}

# link_addon_into VENV: Odoo finds the addon as VENV/addons/auth_apikeys, a folder of
# links to the repository's entries, all but the virtual environments, .git and setup/
# (which links back to the root): a link to the root itself would make a loop for
# Odoo's translation export, which follows links.
link_addon_into() {
    local dir=$1/addons/auth_apikeys entry
    rm -rf "$dir"
    mkdir -p "$dir"
    for entry in "$ROOT"/* "$ROOT"/.[!.]*; do
        case ${entry##*/} in .venv* | .git | setup) continue ;; esac
        [ -e "$entry" ] && ln -s "$entry" "$dir/"
    done
}
