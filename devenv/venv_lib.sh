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

# write_server_config FILE [LINE...]: an Odoo configuration file, readable by its owner only,
# that loads the addon server-wide (README) and gives the server a random master password of its
# own, kept from FILE if it has one, never Odoo's default `admin`; LINEs are added as they are.
write_server_config() {
    local file=$1 password
    shift
    password=$(sed -n 's/^admin_passwd = //p' "$file" 2>/dev/null || true)
    [ -n "$password" ] || password=$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')
    (
        umask 077
        printf '[options]\nadmin_passwd = %s\nserver_wide_modules = web,auth_apikeys\n' "$password" >"$file"
        [ $# = 0 ] || printf '%s\n' "$@" >>"$file"
    )
    chmod 600 "$file"
}
