-- Prosody's configuration for Foyer's chat app. The install's settings arrive as environment
-- variables, which Prosody 0.12 reads as ENV_<NAME>; so this file holds nothing secret and
-- `prosodyctl` run with `docker exec` sees the same configuration as the server.
-- Reference: https://prosody.im/doc/configure

local domain = (ENV_DOMAIN or "localhost"):lower()
local data = "/var/lib/prosody"

-- Foyer administers the server; no chat account is an admin.
admins = {}

modules_enabled = {
	-- The essentials.
	"roster"; "saslauth"; "tls"; "dialback"; "disco"; "posix";
	-- What today's clients expect (Conversations, Dino, Gajim, Monal).
	"carbons"; "mam"; "smacks"; "csi_simple"; "pep"; "private"; "blocklist";
	"bookmarks"; "vcard4"; "vcard_legacy";
	-- Administration: ad-hoc commands for admins, `prosodyctl shell` in the container.
	"admin_adhoc"; "admin_shell";
	"limits"; "ping"; "time"; "uptime"; "version";
	-- Foyer's own: failed sign-ins limited per address and per member (mod_foyer_limit_auth.lua).
	"foyer_limit_auth";
}
plugin_paths = { "/usr/local/lib/prosody/foyer" }

-- Accounts are Foyer's members: nobody signs up or changes a password from a chat app.
allow_registration = false

-- Inside the container: every IPv4 address; Docker publishes the ports on the host.
interfaces = { "*" }
c2s_ports = { 5222 }
s2s_ports = { 5269 }

-- Passwords only ever travel inside TLS (SASL PLAIN after STARTTLS).
c2s_require_encryption = true
s2s_require_encryption = true

-- Foyer's directory (Prosody's mod_auth_ldap, lualdap from Debian's lua-ldap): the install's
-- read-only account finds a member allowed to use the install (LDAP_FILTER: their memberOf),
-- then a bind as that member checks the password. Nothing is cached: a member disabled or
-- given a new password in Foyer is refused at their next sign-in.
authentication = "ldap"
ldap_mode = "bind"
ldap_server = (ENV_LDAP_URL or ""):gsub("^ldap://", "")
ldap_base = ENV_LDAP_BASE
ldap_scope = "onelevel"
ldap_rootdn = ENV_LDAP_BIND_DN
ldap_password = ENV_LDAP_BIND_PASSWORD
ldap_filter = "(&(objectClass=inetOrgPerson)(uid=$user)" .. (ENV_LDAP_FILTER or "") .. ")"
-- Prosody's own default: a remote server with a self-signed certificate (another home server)
-- is verified by dialback through DNS instead of being refused.
s2s_secure_auth = false

-- Everything lives in the data volume: accounts, rosters, offline messages, archives, the
-- certificate (`<domain>.crt` and `.key`, made at first start; replace them with real ones).
storage = "internal"
certificates = data .. "/certs"
pidfile = "/run/prosody/prosody.pid"
archive_expires_after = "1w"

limits = {
	c2s = { rate = "10kb/s" };
	s2sin = { rate = "30kb/s" };
}

-- To the container's output, where `foyer logs` reads it.
log = { { levels = { min = "info" }, to = "console" } }

VirtualHost(domain)

-- The edge's certificate for the domain when Foyer hands one over (issue 13): read-only in
-- /etc/foyer/tls; Foyer runs `prosodyctl reload` when it renews, which reads this file again.
-- Until then the self-signed one in the certs folder.
local handed = "/etc/foyer/tls/"
local function readable(path)
	local file = io.open(path, "r")
	if file then file:close() end
	return file ~= nil
end
if readable(handed .. "fullchain.pem") and readable(handed .. "privkey.pem") then
	ssl = { certificate = handed .. "fullchain.pem"; key = handed .. "privkey.pem" }
end
