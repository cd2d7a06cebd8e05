
Whois Server Version 2.0

Domain names in the .com and .net domains can now be registered
with many different competing registrars. Go to http://www.internic.net
for detailed information.

   Domain Name: REDDIT.COM
   Registrar: DSTR ACQUISITION PA I, LLC DBA DOMAINBANK.COM
   Whois Server: rs.domainbank.net
   Referral URL: http://www.domainbank.net
   Name Server: ASIA1.AKAM.NET
   Name Server: ASIA9.AKAM.NET
   Name Server: AUS2.AKAM.NET
   Name Server: NS1-1.AKAM.NET
   Name Server: NS1-195.AKAM.NET
   Name Server: USE4.AKAM.NET
   Name Server: USW3.AKAM.NET
   Name Server: USW5.AKAM.NET
   Status: clientDeleteProhibited
   Status: clientTransferProhibited
   Status: clientUpdateProhibited
   Updated Date: 04-jun-2008
   Creation Date: 29-apr-2005
   Expiration Date: 29-apr-2009

>>> Last update of whois database: Fri, 27 Jun 2008 01:39:54 UTC <<<

NOTICE: The expiration date displayed in this record is the date the 
registrar's sponsorship of the domain name registration in the registry is 
currently set to expire. This date does not necessarily reflect the expiration 
date of the domain name registrant's agreement with the sponsoring 
registrar.  Users may consult the sponsoring registrar's Whois database to 
view the registrar's reported date of expiration for this registration.

TERMS OF USE: You are not authorized to access or query our Whois 
database through the use of electronic processes that are high-volume and 
automated except as reasonably necessary to register domain names or 
modify existing registrations; the Data in VeriSign Global Registry 
Services' ("VeriSign") Whois database is provided by VeriSign for 
information purposes only, and to assist persons in obtaining information 
about or related to a domain name registration record. VeriSign does not 
guarantee its accuracy. By submitting a Whois query, you agree to abide 
by the following terms of use: You agree that you may use this Data only 
for lawful purposes and that under no circumstances will you use this Data 
to: (1) allow, enable, or otherwise support the transmission of mass 
unsolicited, commercial advertising or solicitations via e-mail, telephone, 
or facsimile; or (2) enable high volume, automated, electronic processes 
that apply to VeriSign (or its computer systems). The compilation, 
repackaging, dissemination or other use of this Data is expressly 
prohibited without the prior written consent of VeriSign. You agree not to 
use electronic processes that are automated and high-volume to access or 
query the Whois database except as reasonably necessary to register 
domain names or modify existing registrations. VeriSign reserves the right 
to restrict your access to the Whois database in its sole discretion to ensure 
operational stability.  VeriSign may restrict or terminate your access to the 
Whois database for failure to abide by these terms of use. VeriSign 
reserves the right to modify these terms at any time. 

The Registry database contains ONLY .COM, .NET, .EDU domains and
Registrars.
The information in this whois database is provided for the sole
purpose of assisting you in obtaining information about domain
name registration records. This information is available "as is,"
and we do not guarantee its accuracy. By submitting a whois
query, you agree that you will use this data only for lawful
purposes and that, under no circumstances will you use this data
to: (1) enable high volume, automated, electronic processes that
stress or load this whois database system providing you this
information; or (2) allow,enable, or otherwise support the
transmission of mass, unsolicited, commercial advertising or
solicitations via facsimile, electronic mail, or by telephone to
entitites other than your own existing customers.  The
compilation, repackaging, dissemination or other use of this data
is expressly prohibited without prior written consent from this
company. We reserve the right to modify these terms at any
time. By submitting an inquiry, you agree to these terms of usage
and limitations of warranty.  Please limit your queries to 10 per
minute and one connection.

   Domain Services Provided By:
      Domain Bank, support@domainbank.com
      http:///www.domainbank.com

Registrant:
   CONDENET INC
   Four Times Square
   New York, NY  10036
   US

   Registrar: DOMAINBANK
   Domain Name: REDDIT.COM
      Created on: 29-APR-05
      Expires on: 29-APR-09
      Last Updated on: 04-JUN-08

   Administrative Contact:
      ,   domain_admin@advancemags.com
      Advance Magazine Group
      4 Times Square
      23rd Floor
      New York, New York  10036
      US
      2122862860

   Technical Contact:
      ,   domains@advancemags.com
      Advance Magazine Group
      1201 N. Market St
      Wilmington, DE  19801
      US
      3028304630


   Domain servers in listed order:
      ASIA1.AKAM.NET 
      ASIA9.AKAM.NET 
      AUS2.AKAM.NET 
      NS1-1.AKAM.NET 
      NS1-195.AKAM.NET 
      USE4.AKAM.NET 
      USW3.AKAM.NET 
      USW5.AKAM.NET 

End of Whois Information
