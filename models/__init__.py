from . import res_users_apikeys
from . import res_users
from . import res_groups
