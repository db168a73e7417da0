"""A sweep, not a list (issue 15): on a database with Odoo's apps, the holder of a
stolen key tries every generic way Odoo 11 lets a client name a field, for every
secret the database holds, and gets none back: not the value, not its length,
not a bisection of it (a domain that answers differently for the right prefix).

The secrets are made here as a real database has them: the users' password hashes,
a pending sign-up token and the queued invitation mail that carries it, an SMTP
password, the database secret, a portal access token, website's Google secret.
Rendering and templates (mail.template, the composer, QWeb, reports) are tested
elsewhere; this file owns the generic read paths.

Also Odoo 11's own hole for every caller: res.users' read_group grouped by
"password_crypt:day" (and every other form, order and domain) answered password
hashes to any user, over RPC and from the web client."""
import re
import uuid
import xmlrpc.client

import pytest

from both_modes import apps_server_in_both_modes
from odoo_servers import JsonRpcError, WebClient, free_port

REFUSED = (xmlrpc.client.Fault, JsonRpcError)
# The refusals of a secret: the addon's, Odoo 11's own for password fields, auth_rules' scan for signup_token.
SECRET_REFUSALS = ("names a password or a secret", "Invalid 'group by' parameter", "sign-up and password reset tokens")
SMTP_PASSWORD = "smtp-%s" % uuid.uuid4().hex
GOOGLE_SECRET = "google-%s" % uuid.uuid4().hex
# (model, field): each secret, where a client reads it.
SECRET_FIELDS = [
    ("res.users", "password_crypt"), ("res.users", "password"), ("res.users", "signup_token"),
    ("res.users", "signup_url"), ("res.partner", "signup_token"), ("res.partner", "signup_url"),
    ("ir.mail_server", "smtp_pass"), ("ir.config_parameter", "value"), ("sale.order", "access_token"),
    ("mail.mail", "body_html"), ("mail.mail", "body"), ("mail.message", "body"),
    ("website", "google_management_client_secret"),
]
# Hidden whatever the record (a mail's body only when it carries a token, a parameter's value when secret-like).
ALWAYS_HIDDEN = {"password_crypt", "password", "signup_token", "smtp_pass", "access_token",
                 "google_management_client_secret"}
# (model, path): a secret reached through a related or one2many path.
SECRET_PATHS = [
    ("res.partner", "user_ids.password_crypt"), ("res.partner", "user_ids.signup_token"),
    ("res.users", "partner_id.signup_token"), ("sale.order", "partner_id.signup_token"),
    ("sale.order", "partner_id.user_ids.password_crypt"), ("res.partner", "sale_order_ids.access_token"),
    ("mail.mail", "mail_message_id.body"),
]
EXPORT_PATHS = [
    ("res.partner", "user_ids/password_crypt"), ("res.partner", "user_ids/signup_token"),
    ("sale.order", "partner_id/signup_token"), ("res.partner", "sale_order_ids/access_token"),
]
KEYS = ["portal-read", "internal-read", "access-rights-read", "settings-read", "internal-full", "portal-full"]
GROUPS = {
    "portal": ["base.group_portal"], "internal": ["base.group_user"],
    # with the sales and billing rights that reading a user's every field needs once sale is installed
    "access-rights": ["base.group_user", "base.group_erp_manager", "sales_team.group_sale_manager",
                      "account.group_account_invoice"],
    "settings": ["base.group_user", "base.group_system", "sales_team.group_sale_manager",
                 "account.group_account_invoice"],
}
# Named like a credential but none: a parameter's or a view's key, wizards' typed passwords (never stored: the
# addon's identity check, Odoo's change-password wizard), res.users' new_password (write-only), public API keys.
NOT_SECRETS = {
    ("ir.config_parameter", "key"), ("ir.ui.view", "key"), ("website.page", "key"),
    ("res.users", "new_password"), ("website", "google_analytics_key"),
    ("res.config.settings", "google_maps_api_key"),  # a browser key, sent to every visitor of the website
    # The audit trail names a key by its description (res.users.apikeys.name), never by the key.
    ("res.users.apikeys.event", "key_name"), ("res.users.apikeys.event", "previous_key_name"),
}
CREDENTIAL_WORDS = re.compile(r"(^|_)(secret|password|passwd|pwd|pass|token|key)(_|$)")


class Secrets:
    """The secrets of the apps database, as its administrator (the superuser) reads them."""

    def __init__(self, server):
        self.server = server
        self.invited_partner_id = self.queue_an_invitation()
        self.order_id = self.portal_users_order()
        self.mail_server_id = server.admin("ir.mail_server", "create", {
            "name": "unreachable", "smtp_host": "127.0.0.1", "smtp_port": free_port(), "smtp_user": "odoo",
            "smtp_pass": SMTP_PASSWORD, "sequence": 1})
        server.admin("website", "write", server.admin("website", "search", []),
                     {"google_management_client_secret": GOOGLE_SECRET})
        self.values = self.read_them()

    def queue_an_invitation(self):
        """A user invited by email: a sign-up token, and the mail that carries it, queued as when no SMTP
        server answers (auth_signup's own sending rolls its mail back then; the portal wizard's keeps it)."""
        email = "invited-%s@example.com" % uuid.uuid4().hex[:8]
        uid = self.server.admin("res.users", "create", {"name": "Invited", "login": email, "email": email},
                                context={"no_reset_password": True})
        partner_id = self.server.admin("res.users", "read", [uid], ["partner_id"])[0]["partner_id"][0]
        self.server.admin("res.partner", "signup_prepare", [partner_id], signup_type="reset")
        template_id = self.server.admin("ir.model.data", "xmlid_to_res_id", "auth_signup.reset_password_email")
        self.server.admin("mail.template", "send_mail", [template_id], uid, force_send=False)
        return partner_id

    def portal_users_order(self):
        password = "pw-%s" % uuid.uuid4().hex
        self.portal_login, self.portal_uid = self.server.create_user(password, GROUPS["portal"])
        partner_id = self.server.admin("res.users", "read", [self.portal_uid], ["partner_id"])[0]["partner_id"][0]
        pricelist_id = self.server.admin("product.pricelist", "search", [], limit=1)[0]
        order_id = self.server.admin("sale.order", "create", {
            "partner_id": partner_id, "partner_invoice_id": partner_id, "partner_shipping_id": partner_id,
            "pricelist_id": pricelist_id})
        self.server.admin("sale.order", "message_subscribe", [order_id], partner_ids=[partner_id])
        return order_id

    def read_them(self):
        admin = self.server.admin
        users = admin("res.users", "search_read", [], ["password_crypt"], context={"active_test": False})
        hashes = [user["password_crypt"] for user in users if user["password_crypt"]]
        tokens = [partner["signup_token"] for partner in admin(
            "res.partner", "search_read", [("signup_token", "!=", False)], ["signup_token"])]
        assert tokens and hashes
        mails = admin("mail.mail", "search_read", [], ["body_html"])
        assert any(token in str(mail["body_html"]) for mail in mails for token in tokens), "no queued invitation"
        access_tokens = [order["access_token"] for order in admin("sale.order", "search_read", [], ["access_token"])]
        database_secret = admin("ir.config_parameter", "get_param", "database.secret")
        invited_token = admin("res.partner", "read", [self.invited_partner_id], ["signup_token"])[0]["signup_token"]
        self.samples = {"password_crypt": hashes[0], "password": hashes[0], "smtp_pass": SMTP_PASSWORD,
                        "value": database_secret, "access_token": access_tokens[0],
                        "google_management_client_secret": GOOGLE_SECRET}
        self.token = invited_token
        return {value for value in hashes + tokens + access_tokens + [SMTP_PASSWORD, GOOGLE_SECRET, database_secret]
                if value}

    def sample(self, path):
        """One secret that a domain on `path` would bisect: a sign-up token unless another is named."""
        return self.samples.get(path.split(".")[-1], self.token)


@pytest.fixture(scope="module")
def secrets(apps_server):
    return Secrets(apps_server)


def new_key(server, groups, access, uid=None):
    """A key of `uid` (a fresh user of `groups` if None), made by the administrator: (uid, key)."""
    uid = uid or server.create_user("pw-%s" % uuid.uuid4().hex, GROUPS[groups])[1]
    admin = WebClient(server)
    admin.authenticate("admin", "admin")
    return uid, admin.new_api_key(uid, "admin", "sweep", access=access)


@pytest.fixture(scope="module")
def keys(apps_server, secrets):
    """A key of each kind: {kind: (uid, key)}; the portal user's read-only key is the order's customer's."""
    made = {}
    for kind in KEYS:
        groups, access = kind.rsplit("-", 1)
        made[kind] = new_key(apps_server, groups, access, secrets.portal_uid if kind == "portal-read" else None)
    return made


class Attacker:
    """Calls with a key, remembering every answer that carries a secret."""

    def __init__(self, server, uid, key, secrets):
        self.server, self.uid, self.key, self.secrets = server, uid, key, secrets
        self.leaks = []

    def call(self, model, method, *args, **kwargs):
        """The answer, or None when refused; an answer (or error) that carries a secret is recorded."""
        try:
            answer = self.server.execute_kw(self.uid, self.key, model, method, list(args), kwargs)
        except REFUSED as error:
            answer, refused = str(error), True
        else:
            refused = False
        if any(secret in str(answer) for secret in self.secrets):
            self.leaks.append("%s.%s%r" % (model, method, args + tuple(kwargs.items())))
        return None if refused else answer

    def bisects(self, model, path, sample):
        """True if a domain matching a piece of the secret `sample` answers unlike one that matches nothing."""
        answers = {repr(self.call(model, "search_count", [(path, "=like", pattern)]))
                   for pattern in ("%" + sample[:6] + "%", "%\x01\x02%")}
        return len(answers) > 1


def sweep_model(attacker, model, ids, full):
    """The paths that name no field: every field comes back."""
    attacker.call(model, "search_read", [])
    attacker.call(model, "read", ids)
    attacker.call(model, "name_get", ids)
    if full:
        attacker.call(model, "copy_data", ids[:1])
        attacker.call(model, "fields_view_get")


def sweep_field(attacker, model, field, ids, full):
    """Every generic path that names `field` of `model`; what the sweep saw besides the leaks."""
    call = attacker.call
    read = call(model, "search_read", [], [field]) or []
    call(model, "read", ids, [field])
    for groupby in (field, [field + ":day"], [field + ":month", "create_uid"]):
        call(model, "read_group", [], [field, "create_uid"], groupby, lazy=False)
    call(model, "read_group", [], ["create_uid", field], ["create_uid"], orderby=field)
    call(model, "name_search", "", [(field, "!=", False)])
    call(model, "default_get", [field])
    if full:
        call(model, "export_data", ids, ["id", field])
    problems = ["%s.%s read as %r" % (model, field, record[field]) for record in read
                if field in ALWAYS_HIDDEN and record[field] not in (False, "", "********")]
    ordered = {repr(call(model, "search_read", [], ["id"], order="%s %s" % (field, way))) for way in ("asc", "desc")}
    return problems + ([] if len(ordered) == 1 else ["%s sorted by %s" % (model, field)])


@pytest.mark.parametrize("kind", KEYS)
def test_a_key_reaches_no_secret_by_any_generic_path(apps_server, secrets, keys, kind):
    uid, key = keys[kind]
    attacker = Attacker(apps_server, uid, key, secrets.values)
    full = kind.endswith("-full")
    problems = []
    for model in sorted({model for model, _field in SECRET_FIELDS}):
        sweep_model(attacker, model, apps_server.admin(model, "search", [], limit=20), full)
    for model, field in SECRET_FIELDS:
        problems += sweep_field(attacker, model, field, apps_server.admin(model, "search", [], limit=20), full)
    for model, path in SECRET_FIELDS + SECRET_PATHS:
        if attacker.bisects(model, path, secrets.sample(path)):
            problems.append("%s.%s bisected by a domain" % (model, path))
    if full:
        for model, path in EXPORT_PATHS:
            attacker.call(model, "export_data", apps_server.admin(model, "search", [], limit=20), [path])
        partner_id = secrets.invited_partner_id
        attacker.call("res.users", "onchange", {"partner_id": partner_id}, "partner_id",
                      {"partner_id": "1", "signup_token": "", "signup_url": "", "password_crypt": ""})
        attacker.call("res.partner", "read", [partner_id], ["signup_url"])
    assert not attacker.leaks + problems, attacker.leaks + problems


def test_every_field_named_like_a_credential_is_kept_from_keys(apps_server, keys):
    """The sweep's own guard: a field an app adds with a credential's name is a secret, unless known not to be."""
    uid, key = keys["settings-read"]
    fields = apps_server.admin("ir.model.fields", "search_read",
                               [("ttype", "in", ["char", "text"]), ("store", "=", True)], ["model", "name"])
    named = {(f["model"], f["name"]) for f in fields if CREDENTIAL_WORDS.search(f["name"])}
    unguarded = []
    for model, name in sorted(named - NOT_SECRETS):  # transient models too: a wizard may keep what was typed
        try:
            apps_server.execute_kw(uid, key, model, "read_group", [[], [name], [name]])
            unguarded.append((model, name))
        except xmlrpc.client.Fault as refused:
            if not any(refusal in refused.faultString for refusal in SECRET_REFUSALS):
                unguarded.append((model, name))
    assert not unguarded


# -- Item 1: Odoo 11's own hole, for every caller --

PASSWORD_GROUP_BYS = ["password_crypt:day", ["password_crypt:day"], "password_crypt", ["login", "password_crypt"],
                      "password_crypt:month", " password_crypt:year", "password"]


def read_groups_by_password(call):
    """Every way of grouping, ordering or filtering users by their password hash: each must be refused."""
    attempts = [lambda groupby=groupby: call("res.users", "read_group", [[], ["login"], groupby], {"lazy": False})
                for groupby in PASSWORD_GROUP_BYS]
    attempts += [
        lambda: call("res.users", "read_group", [[], ["login", "password_crypt"], ["login"]], {}),
        lambda: call("res.users", "read_group", [[], ["login"], ["login"]], {"orderby": "password_crypt desc"}),
        lambda: call("res.users", "read_group", [[("password_crypt", "=like", "$pbkdf2%")], ["login"], ["login"]], {}),
        lambda: call("res.users", "search", [[]], {"order": "password_crypt"}),
        lambda: call("res.users", "search_read", [[], ["login"]], {"order": "login, password_crypt desc"}),
    ]
    answered = []
    for attempt in attempts:
        try:
            answered.append(attempt())
        except REFUSED:
            pass
    return answered


def test_no_web_session_groups_or_sorts_users_by_password_hash(apps_server):
    user = apps_server.logged_in_user()
    assert not read_groups_by_password(
        lambda model, method, args, kwargs: user.web.call_kw(model, method, args, kwargs))
    with pytest.raises(JsonRpcError):  # the list view's own route, sorted by a column header
        user.web.json("/web/dataset/search_read",
                      {"model": "res.users", "fields": ["login"], "domain": [], "sort": "password_crypt DESC"})


def test_no_web_session_groups_or_sorts_by_a_secret_it_may_not_read(apps_server, secrets):
    """Odoo 11's read_group ignores field groups: any employee grouped partners by sign-up token,
    a field for Access Rights users, and read every pending token."""
    web = apps_server.logged_in_user().web
    attempts = [("read_group", [[], ["signup_token"], ["signup_token"]], {}),
                ("read_group", [[], ["name"], ["name"]], {"orderby": "signup_token"}),
                ("search_read", [[], ["name"]], {"order": "signup_token desc"})]
    answered = []
    for method, args, kwargs in attempts:
        try:
            answered.append(web.call_kw("res.partner", method, args, kwargs))
        except JsonRpcError:
            pass
    assert not answered


any_apps_server = apps_server_in_both_modes("secrets")


@pytest.mark.parametrize("groups,access", [("portal", "read"), ("internal", "read"), ("settings", "read")])
def test_no_key_groups_or_sorts_users_by_password_hash(any_apps_server, groups, access):
    server = any_apps_server
    uid, key = new_key(server, groups, access)
    assert not read_groups_by_password(
        lambda model, method, args, kwargs: server.execute_kw(uid, key, model, method, args, kwargs))
    [me] = server.execute_kw(uid, key, "res.users", "read", [[uid], ["password_crypt"]])
    assert me["password_crypt"] in (False, "********")


def test_a_read_only_key_of_an_access_rights_user_reads_no_users_token(any_apps_server):
    """Item 3: a plain res.users read, no field list, reads the partner's columns through res.users' own join."""
    server = any_apps_server
    login = "invited-%s@example.com" % uuid.uuid4().hex[:8]
    invited = server.admin("res.users", "create", {"name": "Invited", "login": login},
                           context={"no_reset_password": True})
    partner_id = server.admin("res.users", "read", [invited], ["partner_id"])[0]["partner_id"][0]
    server.admin("res.partner", "signup_prepare", [partner_id], signup_type="reset")
    token = server.admin("res.partner", "read", [partner_id], ["signup_token"])[0]["signup_token"]
    uid, key = new_key(server, "access-rights", "read")
    [user] = server.execute_kw(uid, key, "res.users", "read", [[invited]])
    assert user["signup_token"] is False and token not in str(user)
    users = server.execute_kw(uid, key, "res.users", "search_read", [[]])
    assert users and token not in str(users)


def test_a_full_access_key_still_invites_users_without_reading_their_token(apps_server):
    """Odoo's own code searches a new token by its exact value (signup_prepare keeps it unique): an
    administrator's integration still creates users and sends them a reset, and reads no token."""
    uid, key = new_key(apps_server, "access-rights", "full")
    apps_server.admin("res.users", "write", [uid], {"email": "integration@example.com"})
    login = "invited-%s@example.com" % uuid.uuid4().hex[:8]
    invited = apps_server.execute_kw(uid, key, "res.users", "create", [{"name": "Invited", "login": login}],
                                     {"context": {"no_reset_password": True}})
    partner_id = apps_server.admin("res.users", "read", [invited], ["partner_id"])[0]["partner_id"][0]
    apps_server.execute_kw(uid, key, "res.partner", "signup_prepare", [[partner_id]])
    token = apps_server.admin("res.partner", "read", [partner_id], ["signup_token"])[0]["signup_token"]
    assert token and token not in str(apps_server.execute_kw(uid, key, "res.users", "read", [[invited]]))


def test_a_key_cannot_send_a_queued_reset_mail_elsewhere(apps_server, secrets, keys):
    """Odoo 11 lets every employee write mail.mail: a full-access key redirects the queued
    invitation (its recipients, its headers) to read the token from its own mailbox."""
    uid, key = keys["internal-full"]
    mail = apps_server.admin("mail.mail", "search_read", [("body_html", "like", secrets.token)],
                             ["email_to", "recipient_ids", "headers"])[0]
    attacker = "attacker-%s@example.com" % uuid.uuid4().hex[:8]
    attacker_partner = apps_server.admin("res.partner", "create", {"name": "Attacker", "email": attacker})
    for values in ({"email_to": attacker}, {"email_cc": attacker}, {"recipient_ids": [(4, attacker_partner)]},
                   {"headers": repr({"Bcc": attacker})}, {"reply_to": attacker, "state": "outgoing"}):
        with pytest.raises(REFUSED) as refused:
            apps_server.execute_kw(uid, key, "mail.mail", "write", [[mail["id"]], values])
        assert "sign-up or reset link" in str(refused.value)
    after = apps_server.admin("mail.mail", "read", [mail["id"]], ["email_to", "recipient_ids", "headers"])[0]
    assert after == mail
    # The same key still writes a mail that carries no token.
    other = apps_server.admin("mail.mail", "create", {"email_to": "someone@example.com", "body_html": "<p>hi</p>"})
    assert apps_server.execute_kw(uid, key, "mail.mail", "write", [[other], {"email_to": attacker}])
