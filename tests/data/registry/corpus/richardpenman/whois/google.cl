%%
%% This is the NIC Chile Whois server (whois.nic.cl).
%%
%% Rights restricted by copyright.
%% See https://www.nic.cl/normativa/politica-publicacion-de-datos-cl.pdf
%%
Domain name: google.cl
Registrant name: Google Inc.
Registrant organisation:
Registrar name: MarkMonitor Inc.
Registrar URL: https://markmonitor.com/
Creation date: 2002-10-22 17:48:23 CLST
Expiration date: 2019-11-20 14:48:02 CLST
Name server: ns1.google.com
Name server: ns2.google.com
Name server: ns3.google.com
Name server: ns4.google.com
%%
%% For communication with domain contacts please use website.
%% See https://www.nic.cl/registry/Whois.do?d=google.cl
%%