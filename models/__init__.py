from . import res_users_apikeys
from . import res_users_login_cooldown
from . import res_users
from . import res_partner
from . import res_groups
from . import ir_translation
