-- Foyer: limits password guessing at the chat door (issue 14, "login rate limits per member and
-- per address on every door"), as Foyer's own sign-in does: failed sign-ins are counted per
-- client address and per member from that address, for a window; over either limit, every
-- sign-in from that address (for that member, or for anyone) is answered with
-- temporary-auth-failure, the right password included, until the window has passed. A member
-- who signs in forgives their own failures from that address. Kept in memory: a restart forgets.
local st = require "util.stanza";
local base64 = require "util.encodings".base64;

local window = module:get_option_number("foyer_auth_window", 300);
local per_address = module:get_option_number("foyer_auth_failures_per_address", 30);
local per_member = module:get_option_number("foyer_auth_failures_per_member", 10);

-- key ("<address>" or "<address> <member>") -> { count = n, since = first failure's time }
local failures = {};

local function over(key, limit)
	local entry = failures[key];
	if not entry then return false; end
	if os.time() - entry.since >= window then
		failures[key] = nil;
		return false;
	end
	return entry.count >= limit;
end

local function count(key)
	local now = os.time();
	local entry = failures[key];
	if not entry or now - entry.since >= window then
		entry = { count = 0, since = now };
		failures[key] = entry;
	end
	entry.count = entry.count + 1;
end

-- The member a SASL PLAIN initial response names ("authzid NUL authcid NUL password").
local function plain_member(stanza)
	if stanza.attr.mechanism ~= "PLAIN" then return nil; end
	local decoded = base64.decode(stanza:get_text() or "");
	local member = decoded and decoded:match("^[^%z]*%z([^%z]+)%z");
	return member and member:lower() or nil;
end

module:hook("stanza/urn:ietf:params:xml:ns:xmpp-sasl:auth", function(event)
	local session, stanza = event.origin, event.stanza;
	if session.type ~= "c2s_unauthed" or not session.ip then return; end
	local member = plain_member(stanza);
	session.foyer_auth_member = member;
	if over(session.ip, per_address) or (member and over(session.ip .. " " .. member, per_member)) then
		module:log("warn", "sign-in from %s refused: too many failed attempts", session.ip);
		session.send(st.stanza("failure", { xmlns = "urn:ietf:params:xml:ns:xmpp-sasl" })
			:tag("temporary-auth-failure"));
		return true;
	end
end, 10);

module:hook("authentication-failure", function(event)
	local session = event.session;
	if not session.ip then return; end
	count(session.ip);
	if session.foyer_auth_member then count(session.ip .. " " .. session.foyer_auth_member); end
end);

module:hook("authentication-success", function(event)
	local session = event.session;
	if session.ip and session.foyer_auth_member then
		failures[session.ip .. " " .. session.foyer_auth_member] = nil;
	end
end);

-- Old entries go, so the table stays small whatever an attacker tries.
module:add_timer(window, function()
	local now = os.time();
	for key, entry in pairs(failures) do
		if now - entry.since >= window then failures[key] = nil; end
	end
	return window;
end);
