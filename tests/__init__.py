from . import test_res_users_apikeys
from . import test_access
from . import test_expiry_and_use
from . import test_key_events
