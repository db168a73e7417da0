from . import test_res_users_apikeys
from . import test_access
