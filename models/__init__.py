from . import res_users_apikeys
from . import res_users_login_cooldown
from . import res_users
from . import base
from . import ir_config_parameter
from . import ir_mail_server
from . import res_groups
from . import ir_translation
