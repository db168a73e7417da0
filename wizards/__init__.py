from . import res_users_identitycheck
from . import res_users_apikeys_description
from . import res_users_apikeys_show
